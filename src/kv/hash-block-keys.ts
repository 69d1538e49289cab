/**
 * A request's prefix-cache block keys (src/serving/block-keys.ts derives them), stored per hash
 * block rather than per engine block: one number, the key of the hash block's first engine block,
 * for what was 32 (a Mooncake hash block is 512 tokens, 32 blocks of 16). The key of the block at
 * offset `off` under that hash block follows from it exactly (`at`), so every reader sees the same
 * numbers the per-block arrays held (hash-block-keys.test.ts compares them on random hash lists).
 *
 * Why one number is enough: a key is hi * 2^26 + lo with hi < P1, lo < P2 (two modular halves below
 * 2^26, block-keys.ts), and the block at offset off has halves (hi + off) mod P1 and (lo + off) mod
 * P2. Both halves come back from the first key exactly (a double holds every integer below 2^53), so
 * no information is dropped and no new collision is possible: keys are equal exactly when they were.
 */

/** The primes of the two halves (below 2^26; block-keys.ts hashes modulo them). */
export const KEY_P1 = 67_108_859;
export const KEY_P2 = 67_108_837;
/** A key is hi * KEY_HALF + lo. */
export const KEY_HALF = 67_108_864; // 2^26
const INV_HALF = 1 / KEY_HALF; // exact (a power of two)

/** (x + off) mod p for x in [0, p) and off >= 0 (`%` only for an offset past p: a hash block of 2^26 engine blocks). */
function addMod(x: number, off: number, p: number): number {
  const r = x + (off < p ? off : off % p);
  return r >= p ? r - p : r;
}

/** The key of the block `off` blocks after the block whose key is `k0`, under one hash block. */
export function keyAtOffset(k0: number, off: number): number {
  const hi = Math.floor(k0 * INV_HALF);
  const lo = k0 - hi * KEY_HALF;
  // Neither half wraps (all but ~1 in 2^20 offsets of 32-block hash blocks): one exact add, below 2^52.
  if (hi + off < KEY_P1 && lo + off < KEY_P2) return k0 + off * (KEY_HALF + 1);
  return addMod(hi, off, KEY_P1) * KEY_HALF + addMod(lo, off, KEY_P2);
}

export class HashBlockKeys {
  /** No keys: every request without prefix block keys shares it (no allocation per request). */
  static readonly EMPTY = new HashBlockKeys(0, [], 1, 1);

  /**
   * Keys given one by one (tests, hand-made chains): each is its own "hash block", so `at` returns
   * them as they are, whatever numbers they are.
   */
  static of(keys: readonly number[]): HashBlockKeys {
    return new HashBlockKeys(keys.length, keys, 1, 1);
  }

  /** Engine blocks per hash block where a hash block is a whole number of them, else 0. */
  private readonly per: number;

  /**
   * `length` engine blocks of `blockSizeTokens`; firstKeys[j] is the key of the first block under
   * hash block j (of `hashBlockTokens`), the block holding token j * hashBlockTokens.
   */
  constructor(
    /** Engine blocks with a key (full blocks of the prompt the hashes cover). */
    readonly length: number,
    private readonly firstKeys: readonly number[],
    private readonly hashBlockTokens: number,
    private readonly blockSizeTokens: number,
  ) {
    this.per = hashBlockTokens % blockSizeTokens === 0 ? hashBlockTokens / blockSizeTokens : 0;
  }

  /** Hash blocks stored (one number each). */
  get hashBlocks(): number {
    return this.firstKeys.length;
  }

  /** The key of engine block i (0 <= i < length). */
  at(i: number): number {
    const per = this.per;
    if (per === 1) return this.firstKeys[i]!;
    let j: number;
    let off: number;
    if (per > 0) {
      j = Math.floor(i / per);
      off = i - j * per;
    } else {
      // The hash block holding the block's last token; offsets count from the block holding its first token.
      const bs = this.blockSizeTokens;
      const hbt = this.hashBlockTokens;
      j = Math.floor(((i + 1) * bs - 1) / hbt);
      off = i - Math.floor((j * hbt) / bs);
    }
    const k0 = this.firstKeys[j]!;
    return off === 0 ? k0 : keyAtOffset(k0, off);
  }

  /** All keys, one per engine block (tests and debugging: the per-block array this replaces). */
  toArray(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.at(i));
    return out;
  }
}
