/**
 * `npm run bench:llamacpp-repeat [-- --profiles 3 --warmup-rounds N --out DIR]`: profiles the engine
 * several times in ONE process, right after one model load, and compares the profiles shape by
 * shape. It tests whether a profile taken in a fresh process (as `llamacpp-profile` and the bench
 * take it) prices the engine the way later passes run: if the first profile is slower than the
 * next ones, the profile is cold. Each profile's wall time is printed beside its CPU time, page
 * faults and the host's steal time, so a difference from other processes' load (wall > CPU) can be
 * told from one in the work itself (CPU time, faults). Writes DIR/p1.csv ... and DIR/repeat.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadEngine } from './engine-api.js';
import { FULL_PLAN, profileCsv, profileEngine, WARMUP_ROUNDS, type ProfileRow, type ProfileTiming } from './profile.js';
import { resolveModel } from './serve.js';
import { TEST_MODELS } from './test-models.js';

const { values: a } = parseArgs({
  options: {
    'test-model': { type: 'string', default: 'llama-test-6l-512' },
    profiles: { type: 'string', default: '3' },
    'warmup-rounds': { type: 'string', default: String(WARMUP_ROUNDS) },
    out: { type: 'string', default: join('runs', 'profile-repeat') },
  },
});
const spec = TEST_MODELS[a['test-model']!];
if (!spec) throw new Error(`--test-model: one of ${Object.keys(TEST_MODELS).join(', ')}`);
const n = Number(a.profiles);
const plan = { ...FULL_PLAN, warmupRounds: Number(a['warmup-rounds']) };
const out = a.out!;

/** Host steal time of all CPUs, ms (/proc/stat's 8th field, in USER_HZ = 100 ticks a second). */
const stealMs = (): number => {
  try {
    return Number(readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/)[8]) * 10;
  } catch {
    return NaN;
  }
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/** Median ratio b / a per group of shapes: prompts, batch-1 decode, multi-sequence decode. */
const compare = (p: ProfileRow[], q: ProfileRow[]): string => {
  const g: Record<string, number[]> = { prompt: [], 'decode b1': [], 'decode b2-8': [] };
  p.forEach((r, i) => g[r.op === 'iter_prefill' ? 'prompt' : r.batch === 1 ? 'decode b1' : 'decode b2-8']!.push(q[i]!.ms / r.ms));
  return Object.entries(g).map(([k, v]) => `${k} ${median(v).toFixed(3)}`).join(', ');
};

const lines = [`model ${spec.id}, 1 thread, ${n} full profiles (${plan.warmupRounds} warm-up round(s) each) in one process after one model load`, ''];
const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
  lines.push(s);
};
const m = resolveModel({ testModel: spec.id });
const e = await loadEngine({ modelPath: m.path, threads: 1, sequences: Math.max(...plan.decodeBatches) + 1, contextTokens: Math.max(...plan.decodeKvLens) + plan.repeats + 8, batchTokens: Math.max(...plan.prefillTokens) });
const profiles: ProfileRow[][] = [];
try {
  for (let k = 0; k < n; k++) {
    const r0 = process.resourceUsage();
    const s0 = stealMs();
    const l0 = loadavg()[0]!;
    const t0 = performance.now();
    const timing: ProfileTiming = { wallMs: 0, cpuMs: 0 };
    profiles.push(await profileEngine(e, spec.vocab, plan, () => {}, timing));
    const r1 = process.resourceUsage();
    log(`- profile ${k + 1}: wall ${((performance.now() - t0) / 1000).toFixed(1)} s, CPU ${((r1.userCPUTime - r0.userCPUTime + r1.systemCPUTime - r0.systemCPUTime) / 1e6).toFixed(1)} s (sys ${((r1.systemCPUTime - r0.systemCPUTime) / 1e6).toFixed(1)}), timed steps ${(timing.wallMs / 1000).toFixed(2)} s wall / ${(timing.cpuMs / 1000).toFixed(2)} s CPU (${(timing.cpuMs / timing.wallMs).toFixed(3)}), minor page faults ${r1.minorPageFault - r0.minorPageFault}, host steal ${((stealMs() - s0) / 1000).toFixed(1)} s, load average ${l0.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}`);
  }
} finally {
  await e.close();
}
for (let k = 1; k < n; k++) log(`- profile ${k + 1} / profile 1, median per shape: ${compare(profiles[0]!, profiles[k]!)}${k > 1 ? `; / profile ${k}: ${compare(profiles[k - 1]!, profiles[k]!)}` : ''}`);
mkdirSync(out, { recursive: true });
profiles.forEach((p, k) => writeFileSync(join(out, `p${k + 1}.csv`), profileCsv(p, spec)));
writeFileSync(join(out, 'repeat.md'), `${lines.join('\n')}\n`);
process.stdout.write(`${lines.join('\n')}\n\nwrote ${join(out, 'repeat.md')}\n`);
