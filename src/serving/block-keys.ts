/**
 * Prefix-cache keys for an engine's KV blocks, derived from a request's prefix block hashes
 * (Mooncake `hash_ids`, or synthetic ones). vLLM hashes each full block together with the hash of
 * everything before it; two double-modular rolling hashes (each below 2^26, so every product is
 * exact in a double) give a 52-bit key per block with negligible collision odds.
 */
const P1 = 67_108_859; // primes below 2^26
const P2 = 67_108_837;
const M1 = 40_503;
const M2 = 51_787;

function mix(h: number, v: number, p: number, m: number): number {
  const x = ((v % p) + p) % p;
  return (h * m + x + 1) % p;
}

/**
 * Keys of the full engine blocks of a prompt covered by `hashes` (each hash covers
 * `hashBlockTokens` tokens). A partial last block gets no key (vLLM caches only full blocks).
 */
export function blockKeys(promptTokens: number, hashes: readonly number[] | undefined, hashBlockTokens: number | undefined, blockSizeTokens: number): number[] {
  if (!hashes || hashes.length === 0 || !hashBlockTokens) return [];
  const out: number[] = [];
  const fullBlocks = Math.floor(Math.min(promptTokens, hashes.length * hashBlockTokens) / blockSizeTokens);
  let h1 = 0;
  let h2 = 0;
  let chained = -1;
  for (let i = 0; i < fullBlocks; i++) {
    const lastToken = (i + 1) * blockSizeTokens - 1;
    const j = Math.floor(lastToken / hashBlockTokens);
    while (chained < j) {
      chained++;
      h1 = mix(h1, hashes[chained]!, P1, M1);
      h2 = mix(h2, hashes[chained]!, P2, M2);
    }
    // Offset of this block inside its hash block, so blocks under one hash differ.
    const off = i - Math.floor((j * hashBlockTokens) / blockSizeTokens);
    out.push(mix(h1, off, P1, M1) * 67_108_864 + mix(h2, off, P2, M2));
  }
  return out;
}
