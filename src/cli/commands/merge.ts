/**
 * `pdsim merge OUT SHARD_DIR...`: joins the output directories of `sweep --shard i/N` or
 * `plan --shard i/N` into OUT, as one run would have written it: the result lines sorted by their
 * point index (the lines themselves are copied byte for byte), then for a plan the frontier, report
 * and best scenarios. It refuses shards of different runs, missing or repeated shards.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { finishPlan } from '../plan-finish.js';
import type { PlanLine } from '../../plan/frontier.js';
import { parseAxes } from '../../plan/grid.js';
import { readShardInfo, writeShardInfo, type ShardInfo } from '../../plan/shard-files.js';
import { formatTable } from '../table.js';
import { sweepTable, type SweepRow } from './sweep.js';
import { cliMessages } from '../../messages/cli.js';

export interface MergeResult {
  kind: ShardInfo['kind'];
  lines: string[];
}

function checkShards(dirs: readonly string[], infos: readonly ShardInfo[]): void {
  const ref = infos[0]!;
  const key = (i: ShardInfo) => JSON.stringify([i.kind, i.scenario, i.argv, i.total]);
  infos.forEach((inf, k) => {
    if (key(inf) !== key(ref)) throw new UserError(cliMessages.notAShardOfSameRun(ref.kind, dirs[0]), dirs[k]);
  });
  const count = ref.shard?.count ?? 1;
  const seen = new Map<number, string>();
  infos.forEach((inf, k) => {
    const c = inf.shard?.count ?? 1;
    if (c !== count) throw new UserError(cliMessages.shardCountMismatch(c, dirs[0], count), dirs[k]);
    const idx = inf.shard?.index ?? 0;
    if (seen.has(idx)) throw new UserError(cliMessages.shardGivenTwice(idx, count, seen.get(idx)), dirs[k]);
    seen.set(idx, dirs[k]!);
  });
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0) throw new UserError(cliMessages.missingShard(missing.length > 1 ? 's' : '', missing.map((i) => `${i}/${count}`).join(', ')));
}

export async function mergeCommand(out: string, dirs: string[]): Promise<MergeResult> {
  if (dirs.length === 0) throw new UserError(cliMessages.mergeNeedsAShard());
  const infos = dirs.map(readShardInfo);
  checkShards(dirs, infos);
  const kind = infos[0]!.kind;
  const name = `${kind}.jsonl`;
  const entries: { point: number; text: string }[] = [];
  for (const d of dirs) {
    const f = path.join(d, name);
    if (!existsSync(f)) throw new UserError(cliMessages.missingInShardDirectory(name), d);
    readFileSync(f, 'utf8').split('\n').filter((t) => t !== '').forEach((text, n) => {
      let point: unknown;
      try {
        point = (JSON.parse(text) as { point?: unknown }).point;
      } catch {
        throw new UserError(cliMessages.notAJsonLine(), f, `line ${n + 1}`);
      }
      if (typeof point !== 'number') throw new UserError(cliMessages.lineHasNoPoint(), f, `line ${n + 1}`);
      entries.push({ point, text });
    });
  }
  entries.sort((a, b) => a.point - b.point);
  const points = new Set(entries.map((e) => e.point));
  if (points.size !== entries.length) throw new UserError(cliMessages.pointInTwoShards());
  // A plan's total counts candidates; all of them have a line. A sweep's counts points.
  if (entries.length !== infos[0]!.total) throw new UserError(cliMessages.shardsMissPoints(entries.length, infos[0]!.total));
  mkdirSync(out, { recursive: true });
  const lines = entries.map((e) => e.text);
  writeFileSync(path.join(out, name), lines.map((l) => l + '\n').join(''));
  const info = infos[0]!;
  writeShardInfo(out, { kind, file: info.scenario, argv: info.argv, total: info.total });
  if (kind === 'plan') {
    const a = info.argv as { base: Record<string, unknown>; latency?: string; attainment?: string };
    const { table, best } = await finishPlan(out, lines.map((l) => JSON.parse(l) as PlanLine), { base: a.base, scenarioName: String(a.base.name), latencyKey: a.latency ?? 'median_e2el_ms', attainment: Number(a.attainment ?? 0.95) });
    process.stdout.write(`merged ${dirs.length} shards: ${lines.length} candidates\n${table}\nbest:\n${best.map((b) => `  ${b}`).join('\n')}\nresults: ${out}\n`);
  } else {
    const axes = parseAxes((info.argv as { vary: string[] }).vary).map((x) => x.field);
    const t = sweepTable(axes, lines.map((l) => JSON.parse(l) as SweepRow));
    process.stdout.write(`merged ${dirs.length} shards: ${lines.length} points\n${formatTable(t.columns, t.rows)}\nresults: ${out}/sweep.jsonl\n`);
  }
  return { kind, lines };
}

export function register(program: Command): void {
  program
    .command('merge')
    .description('Join the output directories of `sweep --shard` or `plan --shard` runs into the result of one run')
    .argument('<out>', 'output directory')
    .argument('<shards...>', 'shard output directories (all N of them)')
    .action(async (out: string, shards: string[]) => {
      await mergeCommand(out, shards);
    });
}
