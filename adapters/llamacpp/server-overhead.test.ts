import { describe, expect, it } from 'vitest';
import { startSimServer } from '../server/server.js';
import type { Engine } from './engine-api.js';
import { afterWarmup, calibrationLevels, CALIBRATION_STREAMS, fitServerOverhead, iterationOverheads, iterationSequences, runCalibrationRequests, servedDeviceJson } from './server-overhead.js';
import { StepLoopBackend, type StepRecord } from './step-loop.js';

const rec = (passes: StepRecord['passes'], gapMs: number | null, postMs: number): StepRecord => ({ atMs: 0, ms: 1, gapMs, passes, postMs });

describe('the step loop\'s own cost per iteration', () => {
  it('counts the sequences an iteration served: pass 1 holds one entry per sequence when it decodes; a prompt-only step one pass per chunk', () => {
    expect(iterationSequences(rec([{ entries: [[1, 40], [1, 80], [1, 9]], ms: 6 }], 0.3, 0.1))).toBe(3);
    // A decode and a prompt chunk: pass 1 has both sequences' first token, pass 2 the chunk's rest.
    expect(iterationSequences(rec([{ entries: [[1, 40], [1, 0]], ms: 6 }, { entries: [[63, 1]], ms: 40 }], 0.3, 0.1))).toBe(2);
    expect(iterationSequences(rec([{ entries: [[64, 0]], ms: 40 }, { entries: [[32, 0]], ms: 20 }], null, 0.1))).toBe(2);
  });

  it('an iteration\'s cost is its time outside its passes, its delivery and the gap before the next one; a restart after idling (gap null) is not one', () => {
    const d = (n: number) => [{ entries: Array.from({ length: n }, () => [1, 10] as [number, number]), ms: 5 }];
    const rs = [rec(d(1), null, 0.1), rec(d(2), 0.3, 0.2), { ...rec(d(2), null, 0.4), ms: 5.25 }, rec(d(1), 0.5, 0.05)];
    // Hand-computed (passes 5 ms, iterations 1 ms: nothing outside, except the third's 5.25 - 5): 0.1 + 0.3 (1 sequence); 0.2 + null skipped; 0.25 + 0.4 + 0.5 (2 sequences); the last has no successor.
    const s = iterationOverheads(rs);
    expect(s.map((x) => x.seqs)).toEqual([1, 2]);
    expect(s[0]!.ms).toBeCloseTo(0.4, 12);
    expect(s[1]!.ms).toBeCloseTo(1.15, 12);
  });

  it('fits base + perSeq x sequences by least squares (an exact line recovered), one batch size gives its mean, and never a negative term', () => {
    const exact = [1, 1, 2, 4, 8].map((seqs) => ({ seqs, ms: 0.35 + 0.08 * seqs }));
    const f = fitServerOverhead(exact);
    expect(f.baseMs).toBeCloseTo(0.35, 12);
    expect(f.perSeqMs).toBeCloseTo(0.08, 12);
    expect(f.iterations).toBe(5);
    expect(fitServerOverhead([{ seqs: 1, ms: 0.4 }, { seqs: 1, ms: 0.6 }])).toEqual({ baseMs: 0.5, perSeqMs: 0, iterations: 2 });
    // A line through negative base: base clamped to 0, perSeq = mean ms / mean seqs = 1.5 / 3.
    const g = fitServerOverhead([{ seqs: 2, ms: 0.5 }, { seqs: 4, ms: 2.5 }]);
    expect(g.baseMs).toBe(0);
    expect(g.perSeqMs).toBeCloseTo(0.5, 12);
    expect(fitServerOverhead([])).toEqual({ baseMs: 0, perSeqMs: 0, iterations: 0 });
  });

  it('the served device profile is the engine\'s fit with the cost added to its per-pass cost, nothing else changed', () => {
    const engine = { id: 'dev', sources: ['profiled'], perf: { gemm: { memoryEfficiency: 0.834 }, cpuOverhead: { baseMs: 0.4836, perSeqMs: 1.162 } }, provenance: { fitted: ['cpuOverhead (whole iterations)'], notes: [] } };
    const served = JSON.parse(servedDeviceJson(JSON.stringify(engine), { baseMs: 0.29074, perSeqMs: 0.11606, iterations: 445 }));
    // 0.4836 + 0.29074 = 0.77434 and 1.162 + 0.11606 = 1.27806, to 4 significant digits.
    expect(served.perf.cpuOverhead).toEqual({ baseMs: 0.7743, perSeqMs: 1.278 });
    expect(served.perf.gemm).toEqual(engine.perf.gemm);
    expect(served.provenance.fitted).toEqual(engine.provenance.fitted);
    expect(served.sources).toHaveLength(2);
    expect(served.provenance.notes[0]).toContain('0.2907 ms + 0.1161 ms per sequence over 445 iterations');
  });

  it('drops a finished run\'s warm-up requests: each request at concurrency 1 starts the loop afresh (no gap before it)', () => {
    const d = [{ entries: [[1, 10]] as [number, number][], ms: 5 }];
    const rs = [rec(d, null, 0), rec(d, 0.1, 0), rec(d, null, 0), rec(d, 0.2, 0), rec(d, null, 0), rec(d, 0.3, 0)];
    expect(afterWarmup(rs, 0)).toEqual(rs);
    expect(afterWarmup(rs, 2)).toEqual(rs.slice(4));
    expect(afterWarmup(rs, 3)).toEqual([]);
  });

  it('calibrates up to every sequence busy when the server has more than the fixed levels', () => {
    expect(calibrationLevels(8)).toEqual([...CALIBRATION_STREAMS, { streams: 8, requests: 4 }]);
    expect(calibrationLevels(4)).toEqual([...CALIBRATION_STREAMS]);
  });

  it('the calibration run streams every request through the HTTP server and reaches the concurrency asked for', async () => {
    const engine: Engine = {
      slots: 8,
      contextTokens: 512,
      batchTokens: 256,
      async step(items) {
        await new Promise((r) => setTimeout(r, 1));
        return items.map(() => 500);
      },
      async reset() {},
      async truncate() {},
      async close() {},
    };
    const records: StepRecord[] = [];
    const backend = new StepLoopBackend(engine, 32000, (e) => { throw e; }, (r) => records.push(r));
    const s = await startSimServer({ backend, modelName: 'm', maxModelLen: 512 });
    try {
      const t0 = Date.now();
      const [from, to] = await runCalibrationRequests(s.url, 'm', { prompt: 8, output: 5 }, [{ streams: 1, requests: 2 }, { streams: 3, requests: 2 }], 2, 120);
      expect(to).toBeGreaterThanOrEqual(from);
      // Warm-up requests (2, then more until 120 ms have passed) of 5 tokens each: one prompt iteration and 4 decode iterations each at concurrency 1.
      const warm = records.filter((r) => r.atMs < from);
      expect(warm.length).toBeGreaterThanOrEqual(2 * 5);
      expect(from - t0).toBeGreaterThanOrEqual(120);
      expect(warm.every((r) => r.passes[0]!.entries.length === 1)).toBe(true);
      const timed = records.filter((r) => r.atMs >= from && r.atMs <= to);
      expect(timed.reduce((a, r) => a + r.passes[0]!.entries.length, 0)).toBeGreaterThanOrEqual(8);
      const samples = iterationOverheads(timed);
      expect(Math.max(...samples.map((x) => x.seqs))).toBe(3);
      expect(samples.every((x) => x.ms >= 0)).toBe(true);
    } finally {
      await s.close();
    }
  });
});
