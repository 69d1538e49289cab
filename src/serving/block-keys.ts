/**
 * Prefix-cache keys for an engine's KV blocks, derived from a request's prefix block hashes
 * (Mooncake `hash_ids`, or synthetic ones). vLLM hashes each full block together with the hash of
 * everything before it; two double-modular rolling hashes (each below 2^26, so every product is
 * exact in a double) give a 52-bit key per block with negligible collision odds.
 *
 * Computed once per request at submission (every later step reads the keys). The modulo is done by
 * floor division rather than `%`: V8 compiles `%` of non-int32 doubles to a call to C's fmod, which
 * was most of the submission cost of a prefix-caching run; the quotient is right to one unit,
 * which two corrections absorb, so the keys are the same numbers (block-keys.test.ts).
 */
const P1 = 67_108_859; // primes below 2^26
const P2 = 67_108_837;
const M1 = 40_503;
const M2 = 51_787;

const INV1 = 1 / P1;
const INV2 = 1 / P2;

/**
 * `a` mod `p` in [0, p), equal to ((a % p) + p) % p for an integer `a`; `inv` is 1 / p. The
 * quotient a * inv is within 2^-26 of a / p for |a| < 2^52 (two roundings of 2^-53 each, a / p <
 * 2^26), so its floor is right to one unit, which the two corrections absorb, and q * p stays
 * below 2^53 (exact); for |a| >= 2^52 it falls back to `%`. A multiply, not a division: this runs
 * six times per prefix hash block of every prompt.
 */
function modP(a: number, p: number, inv: number): number {
  if (a >= 2 ** 52 || a <= -(2 ** 52)) return ((a % p) + p) % p;
  let r = a - Math.floor(a * inv) * p;
  if (r < 0) r += p;
  else if (r >= p) r -= p;
  return r;
}

function mix(h: number, v: number, p: number, m: number, inv: number): number {
  return modP(h * m + modP(v, p, inv) + 1, p, inv);
}

/** (base + off + 1) mod p for base in [0, p) and 0 <= off + 1 < p: one subtraction at most. */
function plusSmall(base: number, off: number, p: number): number {
  const r = base + off + 1;
  return r >= p ? r - p : r;
}

/** Packed doubles (0.5: never a key), sliced to size; grown to twice the largest size asked for. */
let template: number[] = [];

function doubles(n: number): number[] {
  if (n > template.length) {
    // Doubled by concat (native copies, packed doubles kept): a push loop to 8,192 and more ran
    // cold, interpreted, once per new largest prompt (~2 ms of a Mooncake run).
    let t: number[] = [0.5];
    while (t.length < Math.max(2 * n, 8192)) t = t.concat(t);
    template = t;
  }
  return template.slice(0, n);
}

/**
 * Keys of the full engine blocks of a prompt covered by `hashes` (each hash covers
 * `hashBlockTokens` tokens). A partial last block gets no key (vLLM caches only full blocks).
 */
export function blockKeys(promptTokens: number, hashes: readonly number[] | undefined, hashBlockTokens: number | undefined, blockSizeTokens: number): number[] {
  if (!hashes || hashes.length === 0 || !hashBlockTokens) return [];
  const fullBlocks = Math.floor(Math.min(promptTokens, hashes.length * hashBlockTokens) / blockSizeTokens);
  // Sized at once and a double array from the start (pushing 750 keys of a Mooncake prompt regrew it
  // ~15 times). A slice of a packed double template is one allocation and a copy: `new Array(n)
  // .fill(0.5)` allocated a holey SMI store, then a double one, and filled it (half a Mooncake run's
  // blockKeys time, the line profile says; 2x in a microbenchmark), and its keys read as holey.
  const out = doubles(fullBlocks);
  if (hashBlockTokens % blockSizeTokens === 0) return alignedKeys(out, fullBlocks, hashes, hashBlockTokens / blockSizeTokens);
  let h1 = 0;
  let h2 = 0;
  let chained = -1;
  // One pass per prefix hash block: its engine blocks share the chain, so the inner loop has no
  // division (a Mooncake prompt is 24 hash blocks of 32 engine blocks).
  for (let i = 0; i < fullBlocks; ) {
    const j = Math.floor(((i + 1) * blockSizeTokens - 1) / hashBlockTokens);
    while (chained < j) {
      chained++;
      const v = hashes[chained]!;
      if (!Number.isSafeInteger(v)) throw new RangeError(`prefix block hash ${v} is not an integer below 2^53`);
      h1 = mix(h1, v, P1, M1, INV1);
      h2 = mix(h2, v, P2, M2, INV2);
    }
    // h * m mod p of the chain so far: a block's key mixes in its offset under its hash block, and
    // (h * m + off + 1) mod p = (base + off + 1) mod p needs no division for a small offset.
    const base1 = modP(h1 * M1, P1, INV1);
    const base2 = modP(h2 * M2, P2, INV2);
    // Blocks whose last token lies in hash block j: up to (j + 1) * hashBlockTokens tokens.
    const end = Math.min(fullBlocks, Math.floor(((j + 1) * hashBlockTokens) / blockSizeTokens));
    // Offset of a block inside its hash block, so blocks under one hash differ.
    const first = Math.floor((j * hashBlockTokens) / blockSizeTokens);
    i = fillKeys(out, i, end, first, base1, base2, h1, h2);
  }
  return out;
}

/** Hash ids below this in magnitude take the chain step without their own modP (see alignedKeys). */
const SMALL_ID = 2 ** 35;

/**
 * blockKeys where a hash block is a whole number `per` of engine blocks (Mooncake's 512 over 16,
 * kv-tiers' 16 over 16: every bundled workload): hash block j holds blocks [j * per, (j + 1) * per),
 * so no division places them (those floors were a third of blockKeys' ticks in a kv-tiers run).
 * The chain step needs one modP a half instead of three: with base = h * m mod p of the chain so
 * far, the next h is (base + (v mod p) + 1) mod p, and the next base is (h' * m) mod p for any h'
 * congruent to it, such as a = base + v + 1 itself: exact while |a * m| < 2^52, which |v| <
 * 2^35 ensures (m < 2^16); larger ids are reduced first. The canonical h (a mod p) is needed only
 * where a half wraps inside the hash block (fillKeys' per-key path).
 */
function alignedKeys(out: number[], fullBlocks: number, hashes: readonly number[], per: number): number[] {
  let base1 = 0; // h * m mod p of the empty chain (h = 0)
  let base2 = 0;
  for (let j = 0, first = 0; first < fullBlocks; j++, first += per) {
    const v = hashes[j]!;
    if (!Number.isSafeInteger(v)) throw new RangeError(`prefix block hash ${v} is not an integer below 2^53`);
    let a1: number;
    let a2: number;
    if (v > -SMALL_ID && v < SMALL_ID) {
      a1 = base1 + v + 1;
      a2 = base2 + v + 1;
    } else {
      a1 = base1 + modP(v, P1, INV1) + 1;
      a2 = base2 + modP(v, P2, INV2) + 1;
    }
    base1 = modP(a1 * M1, P1, INV1);
    base2 = modP(a2 * M2, P2, INV2);
    const end = Math.min(fullBlocks, first + per);
    if (base1 + (end - first) < P1 && base2 + (end - first) < P2) {
      // fillKeys' no-wrap case, written out here (this loop runs once per hash block).
      let k = (base1 + 1) * 67_108_864 + (base2 + 1);
      for (let i = first; i < end; i++) {
        out[i] = k;
        k += 67_108_865;
      }
    } else fillKeys(out, first, end, first, base1, base2, modP(a1, P1, INV1), modP(a2, P2, INV2));
  }
  return out;
}

/**
 * Keys of blocks [i, end) under one hash block whose first block is `first` (chain state h1, h2,
 * bases h * m mod p); returns end.
 */
function fillKeys(out: number[], i: number, end: number, first: number, base1: number, base2: number, h1: number, h2: number): number {
  if (base1 + (end - first) < P1 && base2 + (end - first) < P2) {
    // Neither half wraps below `end` (all but ~1 in 2^20 hash blocks of 32 engine blocks): the
    // key of offset off is k0 + off * (2^26 + 1), an exact sum (every value is below 2^53).
    let k = (base1 + (i - first) + 1) * 67_108_864 + (base2 + (i - first) + 1);
    for (; i < end; i++) {
      out[i] = k;
      k += 67_108_865;
    }
    return end;
  }
  for (; i < end; i++) {
    const off = i - first;
    if (off + 1 < P2) out[i] = plusSmall(base1, off, P1) * 67_108_864 + plusSmall(base2, off, P2);
    else out[i] = mix(h1, off, P1, M1, INV1) * 67_108_864 + mix(h2, off, P2, M2, INV2); // a hash block of over 2^26 engine blocks
  }
  return end;
}
