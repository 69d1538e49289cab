/**
 * Prefix affinity: requests that share their first prefix block go to the same instance, so its
 * prefix cache hits. The instance is chosen by rendezvous hashing (highest hash of block + instance
 * id), which moves only 1/n of the prefixes when an instance is added or removed. Requests without
 * prefix hashes, and requests whose preferred instance is overloaded (more than `maxImbalance` times
 * the least loaded one's outstanding tokens, plus one request's worth), fall back to least-loaded.
 */
import { leastLoadedIndex } from './least-outstanding-tokens.js';
import { assertCandidates, tokensOf, type RouteCandidate, type RouteRequest, type Router } from './types.js';

const FNV_OFFSET = 0x811c9dc5;

/** 32-bit FNV-1a over a string, continued from state `h` (FNV_OFFSET to start); stable across runs and platforms. */
export function fnv1a(s: string, h = FNV_OFFSET): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Decimal digits of one number, least significant first (reused: a pick is synchronous). */
const digitScratch: number[] = [];

/**
 * fnv1a(`${x}/`) without making the string: for a non-negative safe integer (every simulated
 * block key) the text is its decimal digits, found by exact division (floor(x / 10) is exact below
 * 2^53: x / 10 rounds by at most 2^-4 there, less than a tenth). Number-to-text of a 52-bit key was
 * most of a cold pick (12k Mooncake arrivals: ~12 ms cold against ~2 warm); anything else (a
 * fraction, a negative id, past 2^53) takes the string.
 */
export function fnv1aOfNumberSlash(x: number): number {
  if (!(Number.isSafeInteger(x) && x >= 0)) return fnv1a(`${x}/`);
  let n = 0;
  do {
    const q = Math.floor(x / 10);
    digitScratch[n++] = x - q * 10;
    x = q;
  } while (x > 0);
  let h = FNV_OFFSET;
  for (let k = n - 1; k >= 0; k--) {
    h ^= 48 + digitScratch[k]!; // '0' + digit
    h = Math.imul(h, 0x01000193);
  }
  h ^= 47; // '/'
  return Math.imul(h, 0x01000193) >>> 0;
}

export function prefixAffinity(maxImbalance = 2): Router {
  if (!(maxImbalance >= 1)) throw new RangeError(`maxImbalance must be >= 1, got ${maxImbalance}`);
  return {
    reads: 'tokens',
    pick(candidates: readonly RouteCandidate[], req: RouteRequest): number {
      assertCandidates(candidates);
      const first = req.prefixHashes?.[0];
      const least = leastLoadedIndex(candidates);
      if (first === undefined) return least;
      let best = 0;
      let bestScore = -1;
      // FNV-1a runs left to right, so the hash of `${first}/${id}` continues that of `${first}/`:
      // the block's text is made and hashed once per request, not once per candidate.
      const head = fnv1aOfNumberSlash(first);
      for (let i = 0; i < candidates.length; i++) {
        const score = fnv1a(candidates[i]!.id, head);
        if (score > bestScore) {
          bestScore = score;
          best = i;
        }
      }
      const limit = maxImbalance * tokensOf(candidates[least]!) + req.promptTokens;
      return tokensOf(candidates[best]!) > limit ? least : best;
    },
  };
}
