import { describe, expect, it } from 'vitest';
import { formatPassShapes, passShapes } from './pass-shapes.js';
import type { StepRecord } from './step-loop.js';

// Price: 10 ms per pass + 1 ms per sequence; the batch term adds 2 ms to a pass of 2 one-token sequences.
const base = (e: { newTokens: number }[]) => 10 + e.length;
const withTerm = (e: { newTokens: number }[]) => base(e) + (e.length === 2 && e.every((x) => x.newTokens === 1) ? 2 : 0);

describe('served passes by shape (pass-shapes.ts)', () => {
  it('groups by one-token sequences, padding and prompt chunks; sums measured over price (hand-computed)', () => {
    const recs: StepRecord[] = [
      // b1 passes: price 11; measured 11 and 13.2 -> 24.2 / 22 = 1.1.
      { atMs: 0, ms: 11, gapMs: null, passes: [{ entries: [[1, 40]], ms: 11 }] },
      { atMs: 20, ms: 13.2, gapMs: 1, passes: [{ entries: [[1, 41]], ms: 13.2 }] },
      // Pass 1 of a mixed step (a decode and a chunk's first token) is a b2 pass: 14 / 14 (without the term 14 / 12); then the chunk's rest.
      { atMs: 40, ms: 30, gapMs: 1, passes: [{ entries: [[1, 42], [1, 0]], ms: 14 }, { entries: [[15, 1]], ms: 16 }] },
      // A padded pass of 2 sequences and 1 pad: 17.5 / 14; pads priced as a third sequence: 17.5 / 13 (the term is priced on 3, not 2).
      { atMs: 60, ms: 17.5, gapMs: 1, passes: [{ entries: [[1, 43], [1, 5]], ms: 17.5, pad: 1 }] },
    ];
    const rows = passShapes(recs, withTerm, base);
    expect(rows.map((r) => r.shape)).toEqual(['b1', 'b2', 'padded', 'prompt']);
    const by = Object.fromEntries(rows.map((r) => [r.shape, r]));
    expect(by.b1!.n).toBe(2);
    expect(by.b1!.ratio).toBeCloseTo(24.2 / 22, 12);
    expect(by.b1!.ratioWithoutTerm).toBeCloseTo(24.2 / 22, 12);
    expect(by.b2!.ratio).toBeCloseTo(1, 12);
    expect(by.b2!.ratioWithoutTerm).toBeCloseTo(14 / 12, 12);
    expect(by.padded!.ratio).toBeCloseTo(17.5 / 14, 12);
    expect(by.padded!.ratioPadsPriced).toBeCloseTo(17.5 / 13, 12);
    expect(by.prompt!.ratio).toBeCloseTo(16 / 11, 12);
    expect(by.b1!.ratioPadsPriced).toBeUndefined();
  });

  it('formats a row per shape and a column per rate, "-" where a rate has no such pass', () => {
    const lines = formatPassShapes([
      { label: '0.25 x cap', shapes: [{ shape: 'b1', n: 3, ratio: 0.9, ratioWithoutTerm: 0.95 }] },
      { label: '0.9 x cap', shapes: [{ shape: 'b8', n: 7, ratio: 1.01, ratioWithoutTerm: 1.1 }, { shape: 'padded', n: 2, ratio: 1.1, ratioWithoutTerm: 1.2, ratioPadsPriced: 1.0 }] },
    ]);
    expect(lines).toHaveLength(5);
    expect(lines[2]).toBe('| b1 | 0.900 / 0.950 (3) | - |');
    expect(lines[3]).toBe('| b8 | - | 1.010 / 1.100 (7) |');
    expect(lines[4]).toBe('| padded | - | 1.100 / 1.200, pads priced 1.000 (2) |');
  });
});
