import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseSourceText } from '../../src/calibrate/sources.js';
import { Catalog } from '../../src/model/catalog.js';
import type { Engine } from './engine-api.js';
import { baseDeviceProfile, cpuPeak, decodeSweeps, expectedMs, profileCsv, profileEngine, roundsInSweep, type ProfileRow, type ProfileTiming } from './profile.js';
import { TEST_MODELS } from './test-models.js';
import { fakeSlotOps } from './fake-engine-testing.js';

const dir = mkdtempSync(join(tmpdir(), 'pdsim-llamacpp-profile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('llama.cpp profiler output', () => {
  it('writes a pdsim profile CSV that calibrate reads back as whole iterations of the test model', () => {
    const m = TEST_MODELS['llama-test-6l-512']!;
    const rows: ProfileRow[] = [
      { op: 'iter_prefill', batch: 1, seqLen: 64, ms: 123.456789 },
      { op: 'iter_decode', batch: 4, kvLen: 257, ms: 40.5 },
    ];
    const set = parseSourceText(profileCsv(rows, m), 'p.csv');
    expect(set.sources[0]!.format).toBe('pdsim-profile');
    const shape = { name: m.id, layers: 6, hidden: 512, heads: 8, kvHeads: 8, intermediate: 1408, vocab: 32000, gatedMlp: true };
    expect(set.iterations).toEqual([
      { model: shape, phase: 'prefill', batch: 1, newTokens: 64, kvLen: 64, ms: 123.46 },
      { model: shape, phase: 'decode', batch: 4, newTokens: 1, kvLen: 257, ms: 40.5 },
    ]);
  });

  it('writes a base device profile the catalog accepts, with peak and bandwidth scaled by threads', () => {
    const gpuDir = join(dir, 'gpu');
    mkdirSync(gpuDir, { recursive: true });
    const one = baseDeviceProfile('cpu-1t', 1, 8);
    const two = baseDeviceProfile('cpu-2t', 2, 8);
    writeFileSync(join(gpuDir, 'cpu-2t.json'), JSON.stringify(two));
    const g = new Catalog(dir).loadGpu('cpu-2t');
    expect(g.hbmBandwidthGBps).toBe(16);
    expect(g.fp16Tflops).toBeCloseTo(2 * (one.fp16Tflops as number), 2);
    expect(g.fp16Tflops).toBeCloseTo(Number(cpuPeak(2).tflops.toPrecision(3)), 6);
    expect(g.calibrated).toBe(false);
  });

  it('a shape\'s figure is the mean over rounds without the fastest and the slowest (hand-computed)', () => {
    // One stall (90) and one lucky round (5) dropped: (10 + 12 + 14) / 3 = 12; the median would say 12 too, the mean 26.2.
    expect(expectedMs([12, 90, 10, 5, 14])).toBe(12);
    // Right-skewed rounds: the trimmed mean (11 + 12 + 20) / 3 = 14.33 sits above the median 12, as a served run's mean does.
    expect(expectedMs([10, 11, 12, 20, 40])).toBeCloseTo(43 / 3, 10);
    expect(expectedMs([7, 9])).toBe(8);
  });

  it('the base device profile says how llamacpp-serve runs a step (one-token pass, then prompt chunks)', () => {
    expect((baseDeviceProfile('x', 1, 8).perf as { forwardPasses?: string }).forwardPasses).toBe('one-token-then-chunks');
  });

  it('decode KV lengths are visited in three sweeps (up, down, up) that share the rounds out', () => {
    expect(decodeSweeps(3, 9)).toEqual([[0, 1, 2], [2, 1, 0], [0, 1, 2]]);
    expect([0, 1, 2].map((w) => roundsInSweep(9, w))).toEqual([3, 3, 3]);
    expect([0, 1, 2].map((w) => roundsInSweep(7, w))).toEqual([3, 2, 2]);
    expect(decodeSweeps(2, 2)).toEqual([[0, 1], [1, 0]]);
    expect([0, 1].map((w) => roundsInSweep(2, w))).toEqual([1, 1]);
  });

  it('every decode shape is stepped twice in a row `repeats` times after a warm-up round, each of its sequences holding kv - 1 tokens; slots are extended, not refilled', async () => {
    const kv = new Array<number>(5).fill(0);
    // Order of events: 'p' a prompt round's first step (8 tokens in the last slot), 'd' a timed decode step.
    const events: string[] = [];
    const timedAt = new Map<string, number>();
    let appended = 0;
    let last = '';
    let pairs = 0;
    const engine: Engine = {
      slots: 5,
      contextTokens: 300,
      batchTokens: 64,
      async step(items) {
        if (items.every((i) => i.tokens.length === 1 && i.sample)) {
          // A timed decode step: slots 0..b-1, all at the same length.
          expect(items.map((i) => i.slot)).toEqual(items.map((_, s) => s));
          const lens = new Set(items.map((i) => kv[i.slot]));
          expect(lens.size).toBe(1);
          const key = `${items.length}@${kv[0]! + 1}`;
          timedAt.set(key, (timedAt.get(key) ?? 0) + 1);
          // Odd-numbered steps of a shape repeat the one just before (same shape, same KV).
          if (timedAt.get(key)! % 2 === 0 && last === key) pairs++;
          last = key;
          events.push('d');
        } else {
          appended += items.reduce((a, i) => a + i.tokens.length, 0);
          if (items.length === 1 && items[0]!.slot === 4) events.push('p');
          last = '';
        }
        for (const i of items) kv[i.slot]! += i.tokens.length;
        return items.map(() => 1);
      },
      ...fakeSlotOps(kv),
    };
    const plan = { prefillTokens: [8], decodeBatches: [1, 2, 4], decodeKvLens: [32, 128, 256], repeats: 5 };
    const rows = await profileEngine(engine, 32000, plan);
    // 5 timed pairs plus the warm-up's untimed pair per shape.
    for (const b of plan.decodeBatches) for (const c of plan.decodeKvLens) expect(timedAt.get(`${b}@${c}`)).toBe(12);
    expect(pairs).toBe(54);
    expect(rows.filter((r) => r.op === 'iter_decode')).toHaveLength(9);
    // Fills: first step 8 + warm-up prompt round 8 + prefill rounds 5 x 8; 4 slots up to 255 in the warm-up (then reset), up to 255 again in sweep 1 and from 31 in sweep 3: 4 x (255 + 255 + 224).
    expect(appended).toBe(8 + 8 + 5 * 8 + 4 * (255 + 255 + 224));
    expect(kv.every((k) => k === 0)).toBe(true);
    // Prompts run in the slot the decode batches leave free, spread over the profile: first step + warm-up round + 5 rounds, not all before the first decode.
    expect(events.filter((x) => x === 'p')).toHaveLength(7);
    const firstDecode = events.indexOf('d');
    expect(events.slice(firstDecode).filter((x) => x === 'p').length).toBeGreaterThanOrEqual(3);
  });

  it('warm-up: an engine slow for its first steps (a process that just loaded the model) does not reach the profile; without the warm-up it does', async () => {
    // A fake engine on a fake clock: a step costs 10 ms per sequence plus 0.5 ms per new token, 3x during its first 40 steps.
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    const run = async (warmupRounds: number): Promise<ProfileRow[]> => {
      let steps = 0;
      const engine: Engine = {
        slots: 5,
        contextTokens: 300,
        batchTokens: 64,
        async step(items) {
          const warm = 10 * items.length + 0.5 * items.reduce((a, i) => a + i.tokens.length, 0);
          clock += steps++ < 40 ? 3 * warm : warm;
          return items.map(() => 1);
        },
        async reset() {},
        async truncate() {},
        async close() {},
      };
      return profileEngine(engine, 32000, { prefillTokens: [8, 32], decodeBatches: [1, 4], decodeKvLens: [32, 128], repeats: 3, warmupRounds }, () => {});
    };
    const warmed = await run(1);
    // Hand-computed warm prices: prefill n tokens 10 + 0.5 n; decode b sequences 10.5 b.
    expect(warmed.map((r) => r.ms)).toEqual([14, 26, 10.5, 42, 10.5, 42]);
    const cold = await run(0);
    expect(cold.some((r, i) => r.ms > warmed[i]!.ms)).toBe(true);
    vi.restoreAllMocks();
  });
});
