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
// The two primes below 2^26 the halves are taken modulo (hash-block-keys.ts derives offsets with them).
import { HashBlockKeys, KEY_HALF, KEY_P1 as P1, KEY_P2 as P2 } from '../kv/hash-block-keys.js';
import { packedDoubles } from '../packed-doubles.js';

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

/** (base + 1) mod p for base in [0, p). */
function plusOne(base: number, p: number): number {
  return base + 1 === p ? 0 : base + 1;
}

/**
 * Keys of the full engine blocks of a prompt covered by `hashes` (each hash covers
 * `hashBlockTokens` tokens). A partial last block gets no key (vLLM caches only full blocks).
 * Stored as one number per hash block (src/kv/hash-block-keys.ts): a Mooncake prompt's 750 keys
 * were a 6 KB array per request, 72 MB of a run, mostly never read (readers probe a few keys).
 */
export function blockKeys(promptTokens: number, hashes: readonly number[] | undefined, hashBlockTokens: number | undefined, blockSizeTokens: number): HashBlockKeys {
  if (!hashes || hashes.length === 0 || !hashBlockTokens) return HashBlockKeys.EMPTY;
  const fullBlocks = Math.floor(Math.min(promptTokens, hashes.length * hashBlockTokens) / blockSizeTokens);
  if (fullBlocks === 0) return HashBlockKeys.EMPTY;
  const aligned = hashBlockTokens % blockSizeTokens === 0;
  // Hash blocks up to the one holding the last full block's last token.
  const nHash = aligned ? Math.ceil(fullBlocks / (hashBlockTokens / blockSizeTokens)) : Math.floor((fullBlocks * blockSizeTokens - 1) / hashBlockTokens) + 1;
  // 0.5 is never a key; every entry is overwritten below.
  const firstKeys = packedDoubles(nHash);
  if (aligned) alignedFirstKeys(firstKeys, hashes);
  else {
    let h1 = 0;
    let h2 = 0;
    for (let j = 0; j < nHash; j++) {
      const v = checked(hashes[j]!);
      h1 = mix(h1, v, P1, M1, INV1);
      h2 = mix(h2, v, P2, M2, INV2);
      // h * m mod p of the chain so far; the block at offset off under it has half (base + off + 1) mod p.
      firstKeys[j] = firstKey(modP(h1 * M1, P1, INV1), modP(h2 * M2, P2, INV2));
    }
  }
  return new HashBlockKeys(fullBlocks, firstKeys, hashBlockTokens, blockSizeTokens);
}

function checked(v: number): number {
  if (!Number.isSafeInteger(v)) throw new RangeError(`prefix block hash ${v} is not an integer below 2^53`);
  return v;
}

/**
 * The key of offset 0 under a hash block whose chain has h * m mod p = base1, base2: the block at
 * offset off gets halves (base + off + 1) mod p (src/kv/hash-block-keys.ts keyAtOffset).
 */
function firstKey(base1: number, base2: number): number {
  return plusOne(base1, P1) * KEY_HALF + plusOne(base2, P2);
}

/** Hash ids below this in magnitude take the chain step without their own modP (see alignedFirstKeys). */
const SMALL_ID = 2 ** 35;

/**
 * First keys where a hash block is a whole number of engine blocks (Mooncake's 512 over 16,
 * kv-tiers' 16 over 16: every bundled workload), out.length of them. The chain step needs one modP
 * a half instead of three: with base = h * m mod p of the chain so far, the next h is
 * (base + (v mod p) + 1) mod p, and the next base is (h' * m) mod p for any h' congruent to it, such
 * as a = base + v + 1 itself: exact while |a * m| < 2^52, which |v| < 2^35 ensures (m < 2^16);
 * larger ids are reduced first.
 */
function alignedFirstKeys(out: number[], hashes: readonly number[]): void {
  let base1 = 0; // h * m mod p of the empty chain (h = 0)
  let base2 = 0;
  for (let j = 0; j < out.length; j++) {
    const v = checked(hashes[j]!);
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
    out[j] = firstKey(base1, base2);
  }
}
