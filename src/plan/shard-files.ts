/**
 * shard.json: what a sweep or plan output directory holds (kind, the options that define the point
 * list, total points, which shard), so `pdsim merge` can check that the directories it joins are
 * slices of one run and that none is missing. Results live in sweep.jsonl / plan.jsonl, one line per
 * point with its global `point` index; merging sorts the lines by it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { Shard } from './grid.js';
import { planMessages } from '../messages/plan.js';

export interface ShardInfo {
  kind: 'sweep' | 'plan';
  /** Scenario file name (base name: shards may run on machines with other paths). */
  scenario: string;
  /** The options that define the points and their results. */
  argv: Record<string, unknown>;
  total: number;
  shard: Shard | null;
}

export const SHARD_JSON = 'shard.json';

export function writeShardInfo(dir: string, o: { kind: ShardInfo['kind']; file: string; argv: Record<string, unknown>; total: number; shard?: Shard }): void {
  const info: ShardInfo = { kind: o.kind, scenario: path.basename(o.file), argv: o.argv, total: o.total, shard: o.shard ?? null };
  writeFileSync(path.join(dir, SHARD_JSON), JSON.stringify(info, null, 2) + '\n');
}

export function readShardInfo(dir: string): ShardInfo {
  const f = path.join(dir, SHARD_JSON);
  if (!existsSync(f)) throw new UserError(planMessages.notASweepDirectory(SHARD_JSON), dir);
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as ShardInfo;
  } catch (e) {
    throw new UserError(planMessages.invalidJson((e as Error).message), f);
  }
}
