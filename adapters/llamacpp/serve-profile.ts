/**
 * `pdsim llamacpp-serve --profile-out FILE.csv [--quick-profile]`: the server profiles the very
 * engine it serves with (profile.ts profileEngine) after its warm-up and before it listens, and
 * writes the CSV llamacpp-profile writes (same columns) plus FILE.timing.json (CPU / wall of the
 * timed steps, the profile's window, the plan as run). Why: on a quiet machine the served passes
 * ran 0.85-0.92x the price of a profile taken a minute earlier in another process, while the speed
 * probes read the host unchanged (docs/accuracy-live.md, runs 35-37); a profile's whole level moves
 * 5-15 % between engine instances, so the served engine is the one to profile.
 */
import { writeFileSync } from 'node:fs';
import type { Engine } from './engine-api.js';
import { FULL_PLAN, profileCsv, profileEngine, QUICK_PLAN, type ProfilePlan, type ProfileRow, type ProfileTiming } from './profile.js';
import type { TestModelSpec } from './test-models.js';

/**
 * The plan clamped to what the serving engine holds: prompts up to its step budget and context,
 * decode batches up to its slots, KV lengths with room for the timed token (kv + 1 <= context).
 * The benchmark's server (8 slots, 1,024 tokens each, 512 per step) holds the full plan: KV 1,000
 * + 1 fits; batch 8 uses every slot, so the prompts share a decode slot (profileEngine refills it).
 * profileEngine applies the same filters; this says which shapes were dropped, so the log shows it.
 */
export function planForEngine(plan: ProfilePlan, e: Pick<Engine, 'slots' | 'contextTokens' | 'batchTokens'>): { plan: ProfilePlan; dropped: string[] } {
  const prefillTokens = plan.prefillTokens.filter((n) => n <= e.batchTokens && n <= e.contextTokens);
  const decodeBatches = plan.decodeBatches.filter((b) => b <= e.slots);
  const decodeKvLens = plan.decodeKvLens.filter((kv) => kv + 1 <= e.contextTokens);
  const dropped = [
    ...plan.prefillTokens.filter((n) => !prefillTokens.includes(n)).map((n) => `prefill ${n}`),
    ...plan.decodeBatches.filter((b) => !decodeBatches.includes(b)).map((b) => `decode batch ${b}`),
    ...plan.decodeKvLens.filter((kv) => !decodeKvLens.includes(kv)).map((kv) => `decode KV ${kv}`),
  ];
  return { plan: { ...plan, prefillTokens, decodeBatches, decodeKvLens }, dropped };
}

/** What FILE.timing.json holds. */
export interface ServedProfileTiming extends ProfileTiming {
  cpuOverWall: number;
  /** Epoch ms of the profile's start and end (the speed probe's window in loop.ts). */
  fromMs: number;
  toMs: number;
  plan: ProfilePlan;
  dropped: string[];
  rows: number;
}

export const timingFileOf = (csv: string): string => `${csv}.timing.json`;

/** Profiles `e` with the (clamped) plan and writes `out` and its timing file; the engine's slots are left empty. */
export async function profileServingEngine(e: Engine, spec: TestModelSpec, o: { out: string; quick?: boolean; warmupRounds?: number }, log: (s: string) => void = () => {}): Promise<{ rows: ProfileRow[]; timing: ServedProfileTiming }> {
  const base = { ...(o.quick ? QUICK_PLAN : FULL_PLAN), ...(o.warmupRounds !== undefined ? { warmupRounds: o.warmupRounds } : {}) };
  const { plan, dropped } = planForEngine(base, e);
  if (dropped.length > 0) log(`profile in server: the engine (${e.slots} slots, ${e.contextTokens} tokens each, ${e.batchTokens} per step) cannot hold ${dropped.join(', ')}; profiled without them`);
  const acc: ProfileTiming = { wallMs: 0, cpuMs: 0 };
  const fromMs = Date.now();
  const rows = await profileEngine(e, spec.vocab, plan, log, acc);
  const toMs = Date.now();
  writeFileSync(o.out, profileCsv(rows, spec));
  const timing: ServedProfileTiming = { ...acc, cpuOverWall: acc.cpuMs / acc.wallMs, fromMs, toMs, plan, dropped, rows: rows.length };
  writeFileSync(timingFileOf(o.out), `${JSON.stringify(timing, null, 2)}\n`);
  log(`profile in server: wrote ${o.out} (${rows.length} rows, ${((toMs - fromMs) / 1000).toFixed(0)} s; CPU / wall during the timed steps ${timing.cpuOverWall.toFixed(3)})`);
  return { rows, timing };
}
