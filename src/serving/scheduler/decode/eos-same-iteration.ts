/**
 * Same-iteration EOS eviction: a sequence sampling its last token frees its slot for a waiting
 * sequence in that same iteration, instead of at the iteration's end.
 */
import type { DecodeVariant } from './types.js';

export function eosSameIteration(): DecodeVariant {
  return { name: 'eos-same-iteration', sameIterationEviction: true };
}
