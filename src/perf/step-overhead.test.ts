import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { overheadCoefficients, stepOverheadMs, V0_ASYNC_OUTPUT_OVERHEAD, V0_OVERHEAD, type OverheadRegime } from './step-overhead.js';

/** Least squares of y on [1, batch, (tp-1)/tp] by the normal equations (3 x 3, Cramer's rule). */
function fit(rows: { b: number; t: number; y: number }[]): [number, number, number] {
  const X = rows.map((r) => [1, r.b, (r.t - 1) / r.t]);
  const A = [0, 1, 2].map((i) => [0, 1, 2].map((j) => X.reduce((s, x) => s + x[i]! * x[j]!, 0)));
  const v = [0, 1, 2].map((i) => X.reduce((s, x, k) => s + x[i]! * rows[k]!.y, 0));
  const det = (m: number[][]) => m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) - m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) + m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
  const d = det(A);
  return [0, 1, 2].map((c) => det(A.map((row, i) => row.map((x, j) => (j === c ? v[i]! : x)))) / d) as [number, number, number];
}

describe('step overhead', () => {
  const text = readFileSync(new URL('../../models/data/vidur/historical/a100_cpu_overheads_57720caf.csv', import.meta.url), 'utf8').trim().split('\n');
  const head = text[0]!.split(',');
  const col = (r: string[], name: string) => Number(r[head.indexOf(name)]);
  const rows = text.slice(1).map((l) => l.split(','));
  const parts = ['schedule_median', 'sampler_e2e_median', 'prepare_inputs_e2e_median'];

  it('V0 coefficients are the least-squares fit of the copied vidur table (with and without process_model_outputs)', () => {
    expect(rows.length).toBe(78);
    const full = fit(rows.map((r) => ({ b: col(r, 'batch_size'), t: col(r, 'tensor_parallel_degree'), y: [...parts, 'process_model_outputs_median'].reduce((s, p) => s + col(r, p), 0) })));
    const noOut = fit(rows.map((r) => ({ b: col(r, 'batch_size'), t: col(r, 'tensor_parallel_degree'), y: parts.reduce((s, p) => s + col(r, p), 0) })));
    for (const [c, f] of [[V0_OVERHEAD, full], [V0_ASYNC_OUTPUT_OVERHEAD, noOut]] as const) {
      expect(c.baseMs).toBeCloseTo(f[0], 2);
      expect(c.perSeqMs).toBeCloseTo(f[1], 4);
      expect(c.tpMs).toBeCloseTo(f[2], 2);
    }
  });

  it('the V0 fit reproduces the measured table (median error under 10%)', () => {
    const errs = rows.map((r) => {
      const y = [...parts, 'process_model_outputs_median'].reduce((s, p) => s + col(r, p), 0);
      return Math.abs(stepOverheadMs(V0_OVERHEAD, col(r, 'tensor_parallel_degree'), col(r, 'batch_size')) - y) / y;
    }).sort((a, b) => a - b);
    expect(errs[Math.floor(errs.length / 2)]!).toBeLessThan(0.1);
  });

  it('is monotone in TP and in batch size for every regime, and ordered V0 >= V0-async-output >= V1 >= V1-async', () => {
    const regimes: OverheadRegime[] = ['v0', 'v0-async-output', 'v1', 'v1-async'];
    for (const reg of regimes) {
      const c = overheadCoefficients(reg);
      for (const tp of [1, 2, 4, 8]) {
        let prev = 0;
        for (const b of [1, 2, 8, 64, 256, 1024]) {
          const t = stepOverheadMs(c, tp, b);
          expect(t).toBeGreaterThanOrEqual(prev);
          prev = t;
          if (tp > 1) expect(t).toBeGreaterThanOrEqual(stepOverheadMs(c, tp / 2, b));
        }
      }
    }
    for (const tp of [1, 4]) {
      for (const b of [1, 32, 256]) {
        const t = regimes.map((r) => stepOverheadMs(overheadCoefficients(r), tp, b));
        for (let i = 1; i < t.length; i++) expect(t[i]!).toBeLessThanOrEqual(t[i - 1]!);
      }
    }
    expect(stepOverheadMs(V0_OVERHEAD, 1, 0)).toBe(0);
  });
});
