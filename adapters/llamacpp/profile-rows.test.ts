import { describe, expect, it } from 'vitest';
import { fitByBatch, interpolate, leastSquaresLine, parseProfileCsv, rowLinePricer, rowPricer } from './profile-rows.js';
import { profileCsv, type ProfileRow } from './profile.js';
import { TEST_MODELS } from './test-models.js';

const dec = (batch: number, kvLen: number, ms: number): ProfileRow => ({ op: 'iter_decode', batch, kvLen, ms });
// Batches 1 and 4 at KV 100 and 300: 10/14 ms and 22/30 ms.
const rows: ProfileRow[] = [dec(1, 100, 10), dec(1, 300, 14), dec(4, 100, 22), dec(4, 300, 30), { op: 'iter_prefill', batch: 1, seqLen: 64, ms: 50 }];
const one = (contextTokens: number) => ({ newTokens: 1, contextTokens });

describe('profile rows as a price', () => {
  it('interpolates linearly and extends the end segments (hand-computed)', () => {
    const pts: [number, number][] = [[0, 0], [10, 20], [20, 30]];
    expect(interpolate(pts, 5)).toBe(10);
    expect(interpolate(pts, 15)).toBe(25);
    expect(interpolate(pts, 10)).toBe(20);
    expect(interpolate(pts, -5)).toBe(-10);
    expect(interpolate(pts, 30)).toBe(40);
    expect(interpolate([[3, 7]], 100)).toBe(7);
  });

  it('a decode pass at kv_len = its context + 1, mean over the sequences, then between batch sizes (hand-computed)', () => {
    const p = rowPricer(rows);
    // Batch 1, context 199 -> kv_len 200: halfway, 12 ms.
    expect(p([one(199)])).toBe(12);
    // Batch 4 at mean kv_len 200 (contexts 99, 299, 149, 249): 26 ms.
    expect(p([one(99), one(299), one(149), one(249)])).toBe(26);
    // Batch 2 at kv_len 100: a third of the way from batch 1 (10) to batch 4 (22): 14 ms.
    expect(p([one(99), one(99)])).toBe(14);
  });

  it('no price for prompt chunks or batch sizes outside the profile', () => {
    const p = rowPricer(rows);
    expect(p([{ newTokens: 8, contextTokens: 0 }])).toBeNull();
    expect(p([one(99), { newTokens: 3, contextTokens: 10 }])).toBeNull();
    expect(p(Array.from({ length: 5 }, () => one(99)))).toBeNull();
    expect(p([])).toBeNull();
  });

  it('the fit against its rows, mean row / fit per batch size (hand-computed)', () => {
    // A "fit" of 10 ms + 2 ms per sequence, whatever the context: batch 1 rows 10/12 and 14/12, batch 4 rows 22/18 and 30/18.
    const fit = (e: { newTokens: number; contextTokens: number }[]) => 10 + 2 * e.length;
    const g = fitByBatch(rows, fit);
    expect(g.map((x) => x.batch)).toEqual([1, 4]);
    expect(g[0]!.rowOverFit).toBeCloseTo((10 / 12 + 14 / 12) / 2, 12);
    expect(g[1]!.rowOverFit).toBeCloseTo((22 / 18 + 30 / 18) / 2, 12);
  });

  it('a profile CSV reads back as the rows written (profileCsv round trip)', () => {
    expect(parseProfileCsv(profileCsv(rows, TEST_MODELS['llama-test-6l-512']!))).toEqual(rows);
  });
});

describe('profile rows as a line in KV', () => {
  it('least-squares line (hand-computed)', () => {
    // (0,1), (1,3), (2,2): mean x 1, mean y 2, sxy = (-1)(-1) + 0 + (1)(0) = 1, sxx = 2: s 0.5, a 1.5.
    const l = leastSquaresLine([[0, 1], [1, 3], [2, 2]]);
    expect(l.s).toBeCloseTo(0.5, 12);
    expect(l.a).toBeCloseTo(1.5, 12);
    expect(leastSquaresLine([[5, 7]])).toEqual({ a: 7, s: 0 });
  });

  it('one high row moves its batch line by a third of its excess, not the segment it sits on (hand-computed)', () => {
    // Batch 2 at KV 100, 200, 300: 10, 16, 14 ms (the middle row high, as bench-3's b2 at KV 128).
    // Line: mean kv 200, mean ms 40/3; sxy = (-100)(10 - 40/3) + 0 + (100)(14 - 40/3) = 400, sxx = 20000: s 0.02, a 40/3 - 4 = 28/3.
    const r = [dec(2, 100, 10), dec(2, 200, 16), dec(2, 300, 14), dec(4, 100, 20), dec(4, 300, 28)];
    const line = rowLinePricer(r);
    const rowsOnly = rowPricer(r);
    // Context 149 -> kv 150: line 28/3 + 3 = 37/3 ms; the rows' segment 10..16 gives 13 ms.
    expect(line([one(149), one(149)])).toBeCloseTo(37 / 3, 12);
    expect(rowsOnly([one(149), one(149)])).toBeCloseTo(13, 12);
    // Batch 3 at kv 100: halfway between batch 2's line (28/3 + 2 = 34/3) and batch 4's (20): 47/3.
    expect(line([one(99), one(99), one(99)])).toBeCloseTo(47 / 3, 12);
    expect(line([{ newTokens: 4, contextTokens: 0 }])).toBeNull();
  });
});
