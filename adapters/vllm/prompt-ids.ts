/**
 * Token-id prompts for live replay. Lengths are exact without a tokenizer because `/v1/completions`
 * accepts `prompt: number[]` (reference Part 1.2). Ids are drawn from seeded streams: the same
 * scenario and seed give the same prompts, and requests that share prefix blocks (`prefixHashes`)
 * share the same id prefix, so the server's prefix cache sees what the simulator assumed.
 * Distinct blocks get independent ids, so accidental cache hits are negligible.
 */
import { RandomStreams } from '../../src/kernel/random.js';
import type { RequestSpec } from '../../src/serving/types.js';

export interface VocabRange {
  /** Lowest id used; ids below ~1000 are byte/special tokens in common tokenizers. */
  minId: number;
  /** One past the highest id; 30000 fits every tokenizer with a 32k+ vocabulary. */
  maxIdExclusive: number;
}

export const DEFAULT_VOCAB: VocabRange = { minId: 1000, maxIdExclusive: 30000 };

export function promptIds(spec: RequestSpec, seed: number | string, vocab: VocabRange = DEFAULT_VOCAB): number[] {
  const streams = new RandomStreams(`${seed}/live-prompt`);
  const span = vocab.maxIdExclusive - vocab.minId;
  const draw = (name: string, n: number, into: number[]): void => {
    const s = streams.stream(name);
    for (let i = 0; i < n && into.length < spec.promptTokens; i++) into.push(vocab.minId + Math.floor(s.next() * span));
  };
  const ids: number[] = [];
  const blockTokens = spec.prefixBlockTokens ?? 0;
  if (blockTokens > 0) for (const h of spec.prefixHashes ?? []) draw(`prefix/${h}`, blockTokens, ids);
  draw(`request/${spec.id}`, spec.promptTokens - ids.length, ids);
  return ids;
}
