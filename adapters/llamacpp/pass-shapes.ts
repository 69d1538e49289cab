/**
 * The server's passes by shape, measured served time over predicted price: one row per count b of
 * sequences computing one token (a decode-shaped pass: decode-only steps and pass 1 of a step with
 * prompt chunks alike, as perf.decodeBatchMs is keyed), padded passes apart (their throw-away
 * tokens run in llama.cpp's ubatch but are not in the simulator's pass), and prompt-chunk passes.
 * Each ratio is summed measured / summed price, by the calibrated model (with its batch-shape term)
 * and by the same model without it, so one run shows what the term moved. Padded passes are also
 * priced with each pad as a one-token sequence at KV 0 (what the step loop runs: a reset free slot).
 */
import type { StepRecord } from './step-loop.js';

type Entries = { newTokens: number; contextTokens: number }[];
export type Pricer = (entries: Entries) => number;

export interface ShapeRow {
  /** "b1".."b8" (no padding), "padded" (one-token passes with padding), "prompt" (a prompt chunk's pass). */
  shape: string;
  n: number;
  /** Summed measured / summed price: with the calibrated model, and with it less its batch term. */
  ratio: number;
  ratioWithoutTerm: number;
  /** Padded passes only: their pads priced as one-token sequences at KV 0. */
  ratioPadsPriced?: number;
}

const order = (s: string): number => (s.startsWith('b') ? Number(s.slice(1)) : s === 'padded' ? 1e6 : 2e6);

export function passShapes(records: readonly StepRecord[], price: Pricer, priceWithoutTerm: Pricer): ShapeRow[] {
  const acc = new Map<string, { n: number; m: number; p: number; p0: number; pp: number }>();
  for (const r of records) {
    for (const q of r.passes) {
      if (q.entries.length === 0) continue;
      const entries = q.entries.map(([newTokens, contextTokens]) => ({ newTokens, contextTokens }));
      const oneToken = entries.every((e) => e.newTokens === 1);
      const shape = !oneToken ? 'prompt' : q.pad ? 'padded' : `b${entries.length}`;
      const a = acc.get(shape) ?? { n: 0, m: 0, p: 0, p0: 0, pp: 0 };
      acc.set(shape, a);
      a.n++;
      a.m += q.ms;
      a.p += price(entries);
      a.p0 += priceWithoutTerm(entries);
      if (q.pad) a.pp += price([...entries, ...Array.from({ length: q.pad }, () => ({ newTokens: 1, contextTokens: 0 }))]);
    }
  }
  return [...acc].sort(([x], [y]) => order(x) - order(y)).map(([shape, a]) => ({ shape, n: a.n, ratio: a.m / a.p, ratioWithoutTerm: a.m / a.p0, ...(shape === 'padded' ? { ratioPadsPriced: a.m / a.pp } : {}) }));
}

/** bench.md's table: a row per shape, a column per rate ("served / price, without the term (passes)"). */
export function formatPassShapes(points: readonly { label: string; shapes: readonly ShapeRow[] }[]): string[] {
  const shapes = [...new Set(points.flatMap((p) => p.shapes.map((s) => s.shape)))].sort((x, y) => order(x) - order(y));
  const cell = (s: ShapeRow | undefined): string =>
    s === undefined ? '-' : `${s.ratio.toFixed(3)} / ${s.ratioWithoutTerm.toFixed(3)}${s.ratioPadsPriced !== undefined ? `, pads priced ${s.ratioPadsPriced.toFixed(3)}` : ''} (${s.n})`;
  return [
    `| pass shape | ${points.map((p) => `${p.label}: served / price, without the batch term (passes)`).join(' | ')} |`,
    `|---|${points.map(() => '---').join('|')}|`,
    ...shapes.map((sh) => `| ${sh} | ${points.map((p) => cell(p.shapes.find((s) => s.shape === sh))).join(' | ')} |`),
  ];
}
