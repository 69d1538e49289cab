/**
 * Sweep grids and shards. Repeated `--vary path=v1,v2` flags span the cartesian product (the first
 * flag varies slowest, like nested loops in flag order); `--shard i/N` keeps the points whose index
 * is i modulo N, a deterministic slice that `pdsim merge` can put back in order.
 */
import { UserError } from '../errors.js';
import { planMessages } from '../messages/plan.js';

export interface Axis {
  field: string;
  values: string[];
}

export function parseVary(flag: string): Axis {
  const eq = flag.indexOf('=');
  if (eq <= 0) throw new UserError(planMessages.varyNotPathValues(flag));
  const field = flag.slice(0, eq);
  const values = flag.slice(eq + 1).split(',').filter((v) => v !== '');
  if (values.length === 0) throw new UserError(planMessages.varyNeedsAValue(field));
  return { field, values };
}

export function parseAxes(flags: readonly string[]): Axis[] {
  const axes = flags.map(parseVary);
  const seen = new Set<string>();
  for (const a of axes) {
    if (seen.has(a.field)) throw new UserError(planMessages.varyGivenTwice(a.field));
    seen.add(a.field);
  }
  return axes;
}

/** Every combination, as field -> value maps, first axis slowest. */
export function gridPoints(axes: readonly Axis[]): Record<string, string>[] {
  let points: Record<string, string>[] = [{}];
  for (const a of axes) points = points.flatMap((p) => a.values.map((v) => ({ ...p, [a.field]: v })));
  return points;
}

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(spec: string | undefined): Shard | undefined {
  if (spec === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  if (!m) throw new UserError(planMessages.shardNotIOverN(spec));
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new UserError(planMessages.shardOutOfRange(spec));
  return { index, count };
}

export function inShard(pointIndex: number, shard: Shard | undefined): boolean {
  return shard === undefined || pointIndex % shard.count === shard.index;
}

export function parseReplicates(value: string | undefined): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UserError(planMessages.replicatesOutOfRange(value));
  return n;
}
