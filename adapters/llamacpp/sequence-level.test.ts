import { describe, expect, it } from 'vitest';
import { decodeBatchMs } from '../../src/perf/decode-batch.js';
import { applySequenceLevel, decodeResiduals, fitSequenceLevel, MIN_SEQUENCE_LEVEL_PASSES } from './sequence-level.js';
import type { StepRecord } from './step-loop.js';

// A price of 1 ms per pass plus 5 ms per sequence plus 0.001 ms per KV token.
const price = (es: { newTokens: number; contextTokens: number }[]): number => 1 + es.reduce((a, e) => a + 5 * e.newTokens + 0.001 * e.contextTokens, 0);
const decode = (b: number, ms: number, extra: Partial<StepRecord['passes'][number]> = {}): StepRecord => ({ atMs: 0, ms, gapMs: 0.3, passes: [{ entries: Array.from({ length: b }, () => [1, 100] as [number, number]), ms, ...extra }] });

describe('the served engine\'s per-sequence level', () => {
  it('takes single decode-only passes without padding, each with its residual against the price', () => {
    const rs = decodeResiduals(
      [
        decode(2, 11.1), // price 1 + 2 x 5.1 = 11.2: residual -0.1
        decode(3, 20, { pad: 2 }), // padded: out
        { atMs: 0, ms: 50, gapMs: 0.2, passes: [{ entries: [[1, 100], [1, 0]], ms: 11 }, { entries: [[31, 1]], ms: 40 }] }, // two passes: out
        { atMs: 0, ms: 40, gapMs: null, passes: [{ entries: [[32, 0]], ms: 40 }] }, // a prompt chunk: out
        decode(1, 6.3), // price 6.1: +0.2
      ],
      price,
    );
    expect(rs.map((r) => r.b)).toEqual([2, 1]);
    expect(rs[0]!.residualMs).toBeCloseTo(-0.1, 12);
    expect(rs[1]!.residualMs).toBeCloseTo(0.2, 12);
  });

  it('recovers an exact per-sequence level, and is the through-origin least squares otherwise', () => {
    // Every served pass 0.7 ms per sequence under its price, at b = 1, 4 and 8.
    const exact = [1, 4, 8, 8, 4, 1].flatMap((b) => Array.from({ length: 5 }, () => decode(b, price(Array.from({ length: b }, () => ({ newTokens: 1, contextTokens: 100 }))) - 0.7 * b)));
    const f = fitSequenceLevel(exact, price)!;
    expect(f.passes).toBe(30);
    expect(f.perSeqMs).toBeCloseTo(-0.7, 12);
    // Residuals +1 at b 1 and -1 at b 2 (ten passes each): sum(b r) / sum(b^2) = 10 (1 - 2) / 10 (1 + 4) = -0.2.
    const mixed = [...Array.from({ length: 10 }, () => decode(1, 7.1)), ...Array.from({ length: 10 }, () => decode(2, 10.2))];
    expect(fitSequenceLevel(mixed, price)!.perSeqMs).toBeCloseTo(-0.2, 12);
  });

  it('fits nothing on too few passes', () => {
    expect(fitSequenceLevel(Array.from({ length: MIN_SEQUENCE_LEVEL_PASSES - 1 }, () => decode(1, 6)), price)).toBeNull();
  });

  it('adds level x b to the decode batch table, created where absent, and says so in the profile', () => {
    const device = JSON.stringify({ id: 'x', sources: ['a'], perf: { cpuOverhead: { baseMs: 0.5, perSeqMs: 0 } }, provenance: { notes: [] } });
    const d = JSON.parse(applySequenceLevel(device, { perSeqMs: -0.5, passes: 40 }, 4)) as { sources: string[]; perf: { decodeBatchMs: number[]; cpuOverhead: unknown }; provenance: { notes: string[] } };
    expect(d.perf.decodeBatchMs).toEqual([-0.5, -1, -1.5, -2]);
    expect(d.perf.cpuOverhead).toEqual({ baseMs: 0.5, perSeqMs: 0 });
    expect(d.sources).toHaveLength(2);
    expect(d.provenance.notes[0]).toContain('40 single decode passes');
    // On an existing table: added entry by entry; entries past max-num-seqs kept.
    const t = JSON.parse(applySequenceLevel(JSON.stringify({ perf: { decodeBatchMs: [0.1, 0.2, 0.3] } }), { perSeqMs: 0.25, passes: 20 }, 2)) as { perf: { decodeBatchMs: number[] } };
    expect(t.perf.decodeBatchMs).toEqual([0.35, 0.7, 0.3]);
    // As the simulator reads it: a batch-3 pass of the first profile costs 1.5 ms less.
    expect(decodeBatchMs(d.perf.decodeBatchMs, 3)).toBe(-1.5);
  });
});
