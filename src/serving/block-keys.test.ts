import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../kernel/random.js';
import { blockKeys as compactKeys } from './block-keys.js';

/** The compact keys (one number per hash block) read back one per engine block, as every reader sees them. */
const blockKeys = (...args: Parameters<typeof compactKeys>): number[] => compactKeys(...args).toArray();

/** The keys as first written, with `%` (the reference the floor-division version must equal exactly). */
function blockKeysReference(promptTokens: number, hashes: readonly number[], hashBlockTokens: number, blockSizeTokens: number): number[] {
  const mix = (h: number, v: number, p: number, m: number): number => (h * m + (((v % p) + p) % p) + 1) % p;
  const out: number[] = [];
  const fullBlocks = Math.floor(Math.min(promptTokens, hashes.length * hashBlockTokens) / blockSizeTokens);
  let h1 = 0;
  let h2 = 0;
  let chained = -1;
  for (let i = 0; i < fullBlocks; i++) {
    const j = Math.floor(((i + 1) * blockSizeTokens - 1) / hashBlockTokens);
    while (chained < j) {
      chained++;
      h1 = mix(h1, hashes[chained]!, 67_108_859, 40_503);
      h2 = mix(h2, hashes[chained]!, 67_108_837, 51_787);
    }
    const off = i - Math.floor((j * hashBlockTokens) / blockSizeTokens);
    out.push(mix(h1, off, 67_108_859, 40_503) * 67_108_864 + mix(h2, off, 67_108_837, 51_787));
  }
  return out;
}

describe('blockKeys', () => {
  it('equals the % formulation on random hashes of every magnitude and sign (synthetic ids are negative)', () => {
    const rng = new RandomStreams(3).stream('hashes');
    const mags = [1, 1e3, 2 ** 26, 1e11, 2 ** 40, Number.MAX_SAFE_INTEGER];
    for (let t = 0; t < 2000; t++) {
      const n = rng.intBetween(1, 12);
      const mag = mags[t % mags.length]!;
      const hashes = Array.from({ length: n }, () => Math.round((rng.next() * 2 - 1) * mag));
      hashes.push(0, -0, 67_108_859, -67_108_837, 2 ** 53 - 1, -(2 ** 53 - 1));
      const hbt = [16, 64, 256, 512, 8, 24][t % 6]!; // also hash blocks smaller than, and not a multiple of, an engine block
      const bs = [16, 32][t % 2]!;
      const prompt = rng.intBetween(1, hashes.length * hbt + 40);
      expect(blockKeys(prompt, hashes, hbt, bs)).toEqual(blockKeysReference(prompt, hashes, hbt, bs));
    }
  });

  it('gives one key per full block, shared by prompts with the same leading hashes only', () => {
    const a = blockKeys(100, [7, 8], 64, 16);
    expect(a).toHaveLength(6); // 100 tokens: 6 full 16-token blocks (the partial 7th has no key)
    expect(new Set(a).size).toBe(6);
    const b = blockKeys(128, [7, 9], 64, 16);
    expect(b.slice(0, 4)).toEqual(a.slice(0, 4)); // same first 64-token hash block
    expect(b[4]).not.toBe(a[4]);
    expect(blockKeys(100, undefined, 64, 16)).toEqual([]);
  });

  it('equals the % formulation where a half of the key wraps inside a hash block (the non-incremental path)', () => {
    // The first hash v such that the chain's h * m mod p is p - 3 for one half: blocks at offset 2
    // and later under that hash block wrap past p.
    const inv = (m: bigint, p: bigint): bigint => {
      let r = 1n;
      for (let b = m, e = p - 2n; e > 0n; e >>= 1n, b = (b * b) % p) if (e & 1n) r = (r * b) % p;
      return r;
    };
    const hashFor = (p: number, m: number, base: number): number => {
      const h = Number((BigInt(base) * inv(BigInt(m), BigInt(p))) % BigInt(p)); // h * m = base (mod p)
      return h - 1; // mix(0, v) = v + 1 for 0 <= v < p - 1
    };
    for (const [p, m] of [[67_108_859, 40_503], [67_108_837, 51_787]] as const) {
      for (const top of [1, 3, 17, 31, 32]) {
        const v = hashFor(p, m, p - top);
        for (const [prompt, hbt, bs] of [[2048, 512, 16], [1000, 512, 16], [4096, 1024, 32], [300, 64, 16]] as const) {
          const hashes = [v, v + 1, v];
          expect(blockKeys(prompt, hashes, hbt, bs)).toEqual(blockKeysReference(prompt, hashes, hbt, bs));
          expect(blockKeys(prompt, [5, ...hashes], hbt, bs)).toEqual(blockKeysReference(prompt, [5, ...hashes], hbt, bs));
        }
      }
    }
  });

  it('equals the % formulation at multiples of either prime and one either side (where a quotient is nearest an integer)', () => {
    const rng = new RandomStreams(5).stream('multiples');
    for (let t = 0; t < 400; t++) {
      const p = t % 2 === 0 ? 67_108_859 : 67_108_837;
      const k = t < 40 ? t : Math.floor(rng.next() * 2 ** 26); // k * p stays below 2^52 (the division path)
      const hashes = [k * p, k * p - 1, k * p + 1, -k * p, -(k * p) - 1];
      for (const [prompt, hbt, bs] of [[5 * 512, 512, 16], [5 * 16, 16, 16]] as const) {
        expect(blockKeys(prompt, hashes, hbt, bs)).toEqual(blockKeysReference(prompt, hashes, hbt, bs));
      }
    }
  });

  it('equals the % formulation for hash ids either side of 2^35 (where the chain step starts reducing an id first)', () => {
    const edge = 2 ** 35;
    const ids = [edge - 1, edge, edge + 1, -(edge - 1), -edge, -(edge + 1), 2 ** 52 / 40_503, -(2 ** 52 / 51_787)].map(Math.floor);
    for (let t = 0; t < ids.length * ids.length; t++) {
      const hashes = [ids[t % ids.length]!, ids[Math.floor(t / ids.length)]!, 3, ids[t % ids.length]!];
      for (const [prompt, hbt, bs] of [[4 * 512, 512, 16], [4 * 16, 16, 16], [4 * 64 - 5, 64, 32]] as const) {
        expect(blockKeys(prompt, hashes, hbt, bs)).toEqual(blockKeysReference(prompt, hashes, hbt, bs));
      }
    }
  });

  it('equals the % formulation for prompts past the template size, grown in steps (and shorter ones after)', () => {
    // doubles() keeps a template of at least 8,192 entries (one a hash block) and regrows it to twice a larger prompt's.
    for (const hashBlocks of [8_191, 8_192, 8_193, 20_000, 9_000, 41_000, 5]) {
      const hashes = Array.from({ length: hashBlocks }, (_, i) => i * 7 + hashBlocks);
      for (const hbt of [16, 32]) {
        const keys = compactKeys(hashBlocks * hbt, hashes, hbt, 16);
        expect([keys.length, keys.hashBlocks]).toEqual([(hashBlocks * hbt) / 16, hashBlocks]);
        expect(keys.toArray()).toEqual(blockKeysReference(hashBlocks * hbt, hashes, hbt, 16));
      }
    }
  });
});
