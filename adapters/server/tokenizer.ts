/**
 * The simulator-backed server has no real tokenizer: a text prompt counts one token per
 * whitespace-separated word, and each word maps to a stable id. The live client writes chat
 * prompts as one word per token id, so lengths stay exact end to end. Token-id prompts are taken
 * as they are.
 */

export function wordId(word: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    h ^= word.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return 1000 + ((h >>> 0) % 29000);
}

export function tokenizeText(text: string): number[] {
  return text.split(/\s+/).filter((w) => w !== '').map(wordId);
}

/** The text of the i-th generated token: short, deterministic, word-like. */
export function tokenText(i: number): string {
  return ` t${i % 100}`;
}
