/**
 * The one rounding helper of pdsim's outputs (summary.json, requests.jsonl extras, vllm bench-style
 * summaries of live runs): fixed decimals so files stay readable and identical across platforms'
 * float printing. Non-finite values have no JSON form; `round6` makes them null explicitly (what
 * JSON.stringify would print for NaN anyway).
 */

/** `x` rounded to `decimals` decimal places (half away from zero for positives, as Math.round). */
export function roundDecimals(x: number, decimals: 3 | 6): number {
  const f = decimals === 6 ? 1e6 : 1e3;
  return Math.round(x * f) / f;
}

/** Six decimals; null for NaN and infinities. */
export function round6(x: number): number | null {
  return Number.isFinite(x) ? roundDecimals(x, 6) : null;
}

/** Three decimals (milliseconds to the microsecond). */
export function round3(x: number): number {
  return roundDecimals(x, 3);
}
