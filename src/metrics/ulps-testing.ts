/** For tests at float edges: the double `ulps` representable steps away from positive `v`. */
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

export function ulpsAway(v: number, ulps: number): number {
  f64[0] = v;
  i64[0] += BigInt(ulps);
  return f64[0]!;
}
