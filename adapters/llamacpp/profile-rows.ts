/**
 * The profile's own decode rows as a price, beside the calibrated fit's: a served decode-only pass
 * of b sequences is priced by interpolating the rows (linear in the mean KV length, then in the
 * batch size between profiled sizes), with no model in between. Served passes of 2-4 sequences ran
 * 1.10-1.23x the fit's price in the quiet runs while decode-ab.ts found a served pass and the
 * profiler's step of the same shape equal in CPU time (within 5 %, same minute): so either the fit
 * misprices the rows at those sizes, or the engine ran slower while serving than while profiling.
 * Served / rows near 1 with served / fit above it says the first; both above 1, the second.
 * The bench prices by rowLinePricer (each batch's rows as their line in KV): with rowPricer one
 * noisy row priced a whole KV segment and made a 3 % fit gap look like 11 % (fit-residuals.ts).
 */
import type { ProfileRow } from './profile.js';

type Entries = readonly { newTokens: number; contextTokens: number }[];

/** Linear interpolation of y(x) on sorted points; outside them, the end segment extended (one point: its y). */
export function interpolate(points: readonly [number, number][], x: number): number {
  if (points.length === 1) return points[0]![1];
  let i = points.findIndex(([px]) => px >= x);
  if (i <= 0) i = i === 0 ? 1 : points.length - 1;
  const [x0, y0] = points[i - 1]!;
  const [x1, y1] = points[i]!;
  return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}

/** The profile's iter_decode rows as (kv_len, ms) points per batch size. */
function decodePointsByBatch(rows: readonly ProfileRow[]): Map<number, [number, number][]> {
  const byBatch = new Map<number, [number, number][]>();
  for (const r of rows) if (r.op === 'iter_decode' && r.kvLen !== undefined) (byBatch.get(r.batch) ?? byBatch.set(r.batch, []).get(r.batch)!).push([r.kvLen, r.ms]);
  return byBatch;
}

/**
 * Price of a decode-only pass (every entry one new token) from a per-batch-size curve of ms over
 * kv_len: the row's kv_len is the KV length after the step (profile.ts: slots hold kv - 1 tokens,
 * the step adds one), so a served sequence with c tokens in its KV is at kv_len c + 1; the curves
 * at the mean KV are then interpolated in batch size. Null for any other pass, and for batch sizes
 * outside the profiled ones (not extrapolated).
 */
function decodePricer(curves: ReadonlyMap<number, (kvLen: number) => number>): (entries: Entries) => number | null {
  const batches = [...curves.keys()].sort((x, y) => x - y);
  return (entries) => {
    const b = entries.length;
    if (b === 0 || !entries.every((e) => e.newTokens === 1) || b < batches[0]! || b > batches[batches.length - 1]!) return null;
    const kv = entries.reduce((s, e) => s + e.contextTokens + 1, 0) / b;
    return interpolate(batches.map((bb): [number, number] => [bb, curves.get(bb)!(kv)]), b);
  };
}

/** decodePricer over the rows themselves, interpolated linearly in KV length. */
export function rowPricer(rows: readonly ProfileRow[]): (entries: Entries) => number | null {
  const byBatch = decodePointsByBatch(rows);
  for (const pts of byBatch.values()) pts.sort((x, y) => x[0] - y[0]);
  return decodePricer(new Map([...byBatch].map(([b, pts]) => [b, (kv: number) => interpolate(pts, kv)])));
}

/** Least-squares line y = a + s x through points (two or more distinct x; one point: a flat line through it). */
export function leastSquaresLine(points: readonly [number, number][]): { a: number; s: number } {
  const n = points.length;
  const mx = points.reduce((t, p) => t + p[0], 0) / n;
  const my = points.reduce((t, p) => t + p[1], 0) / n;
  const sxx = points.reduce((t, p) => t + (p[0] - mx) ** 2, 0);
  const s = sxx > 0 ? points.reduce((t, p) => t + (p[0] - mx) * (p[1] - my), 0) / sxx : 0;
  return { a: my - s * mx, s };
}

/**
 * As rowPricer, but each batch size's rows are first replaced by their least-squares line in KV
 * length. A decode step's KV-dependent work (attention reads every cached K and V once) is linear in
 * KV, so a line is the physics, not a fit form; and it keeps one noisy row from setting the price of
 * a whole KV segment: in a loaded profile (bench-3, 3 Dec) batch 2 took 16.65 ms at KV 128 but 14.42
 * at KV 256, and served batch-2 passes (KV 114-242) were priced on that one segment.
 */
export function rowLinePricer(rows: readonly ProfileRow[]): (entries: Entries) => number | null {
  return decodePricer(new Map([...decodePointsByBatch(rows)].map(([b, pts]) => {
    const l = leastSquaresLine(pts);
    return [b, (kv: number) => l.a + l.s * kv];
  })));
}

/** The fit against its own profile, per decode batch size: mean of row / fit over the row's KV lengths. */
export function fitByBatch(rows: readonly ProfileRow[], priceMs: (entries: { newTokens: number; contextTokens: number }[]) => number): { batch: number; rowOverFit: number }[] {
  const acc = new Map<number, number[]>();
  for (const r of rows) {
    if (r.op !== 'iter_decode' || r.kvLen === undefined) continue;
    const fit = priceMs(Array.from({ length: r.batch }, () => ({ newTokens: 1, contextTokens: r.kvLen! - 1 })));
    (acc.get(r.batch) ?? acc.set(r.batch, []).get(r.batch)!).push(r.ms / fit);
  }
  return [...acc].sort(([x], [y]) => x - y).map(([batch, xs]) => ({ batch, rowOverFit: xs.reduce((s, x) => s + x, 0) / xs.length }));
}

/** The iter_prefill / iter_decode rows of a profile CSV that profileCsv wrote (offline reports read a finished run's profile.csv). */
export function parseProfileCsv(text: string): ProfileRow[] {
  const [head, ...lines] = text.trim().split('\n');
  const col = new Map(head!.split(',').map((h, i) => [h, i]));
  const rows: ProfileRow[] = [];
  for (const l of lines) {
    const c = l.split(',');
    const get = (k: string): string => c[col.get(k) ?? -1] ?? '';
    const op = get('op');
    if (op !== 'iter_decode' && op !== 'iter_prefill') continue;
    rows.push({ op, batch: Number(get('batch_size')), ms: Number(get('latency_ms')), ...(get('seq_len') !== '' ? { seqLen: Number(get('seq_len')) } : {}), ...(get('kv_len') !== '' ? { kvLen: Number(get('kv_len')) } : {}) });
  }
  return rows;
}
