/**
 * Ascending sort of a Float64Array for the exact percentiles of a run's latency distributions
 * (100,000 samples each in the parity run): an LSD radix sort on the IEEE-754 bit patterns, four
 * passes of 16 bits, which for non-negative finite doubles order exactly as the values do (the
 * exponent sits above the mantissa; IEEE 754-2008, 5.10 totalOrder). Several times faster than the
 * built-in comparison sort at that size. The result is what `sort()` gives: arrays holding anything
 * else (a negative value, -0, NaN) and small arrays go through the built-in sort.
 */

/** Below this the built-in sort is as fast (and radix's fixed histogram cost dominates). */
const RADIX_MIN_LENGTH = 4096;
const DIGIT_BITS = 16;
const BUCKETS = 1 << DIGIT_BITS;

/** Sorts `a` in place, ascending, as `a.sort()` would; returns it. */
export function sortDoubles(a: Float64Array): Float64Array {
  const n = a.length;
  if (n < RADIX_MIN_LENGTH || (a.byteOffset & 7) !== 0) return a.sort();
  // Little-endian words of each double: [2i] low, [2i + 1] high (sign, exponent, top of mantissa).
  const words = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  for (let i = 1; i < 2 * n; i += 2) {
    // Sign bit set (negative or -0), or exponent all ones (Infinity, NaN): the built-in sort decides.
    if (words[i]! >= 0x7ff00000) return a.sort();
  }
  let src: Uint32Array = words;
  let dst: Uint32Array = new Uint32Array(2 * n);
  const count = new Uint32Array(BUCKETS);
  for (let pass = 0; pass < 4; pass++) {
    // Digit `pass` of the 64-bit pattern: words [0, 1] of the low word, then [2, 3] of the high one.
    const word = pass >> 1;
    const shift = (pass & 1) * DIGIT_BITS;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(src[2 * i + word]! >>> shift) & (BUCKETS - 1)]!++;
    // A digit every value shares leaves the order as it is: skip the pass.
    if (count[(src[word]! >>> shift) & (BUCKETS - 1)] === n) continue;
    let sum = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = count[b]!;
      count[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const lo = src[2 * i]!;
      const hi = src[2 * i + 1]!;
      const at = 2 * count[((word === 0 ? lo : hi) >>> shift) & (BUCKETS - 1)]!++;
      dst[at] = lo;
      dst[at + 1] = hi;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== words) words.set(src);
  return a;
}
