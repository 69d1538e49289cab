/**
 * What the simulator-backed server and the live client need of a tokenizer: count a text prompt,
 * apply the model's chat template, decode ids (for `echo` and /detokenize), and name the tokens it
 * generates. Two kinds:
 *   - `real`: the model's own BPE vocabulary and chat template (tokenizer-real.ts, for the catalog
 *     models whose tokenizer files may be shipped);
 *   - `approximate` (this module): one token per whitespace-separated word, each word a stable id,
 *     and a chat prompt is its messages' words with no template. The live client writes chat
 *     prompts as one word per token id, so lengths stay exact end to end against `pdsim serve`.
 * Generated tokens are synthetic words, the same for every request: token i of a choice is word
 * (i mod 100) of the tokenizer's generation list, which makes `stop` and `stop_token_ids`
 * deterministic and testable.
 */

export interface ChatMessage {
  role: string;
  content: string;
}

export interface Tokenizer {
  readonly kind: 'real' | 'approximate';
  /** e.g. "Qwen2.5 BPE (151,643 tokens) + ChatML template" or "whitespace words (approximate)". */
  readonly description: string;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** The prompt text the model sees for these messages (chat template, generation prompt added). */
  chatPrompt(messages: readonly ChatMessage[]): string;
  /** Generated token i: its id and its text. */
  generated(i: number): { id: number; text: string };
  /**
   * User-message text whose chat prompt (template included) is `ids.length` tokens long, for the
   * live client's chat mode; the same ids give the same text.
   */
  chatContentForTokens(ids: readonly number[]): string;
  /** Tokens the chat template adds around one user message. */
  readonly chatOverheadTokens: number;
}

export const GENERATED_WORDS = 100;

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

/** The text of the i-th generated token of the approximate tokenizer: short, deterministic, word-like. */
export function tokenText(i: number): string {
  return ` t${i % GENERATED_WORDS}`;
}

/** Whitespace words; ids hash the word, so decode can only name them (`w<id>`) unless they were generated. */
export const APPROXIMATE_TOKENIZER: Tokenizer = {
  kind: 'approximate',
  description: 'approximate: one token per whitespace-separated word, no chat template',
  encode: tokenizeText,
  decode(ids) {
    const gen = new Map<number, string>();
    for (let i = 0; i < GENERATED_WORDS; i++) gen.set(wordId(`t${i}`), `t${i}`);
    return ids.map((id) => gen.get(id) ?? `w${id}`).join(' ');
  },
  chatPrompt: (messages) => messages.map((m) => m.content).join(' '),
  generated: (i) => ({ id: wordId(`t${i % GENERATED_WORDS}`), text: tokenText(i) }),
  chatContentForTokens: (ids) => ids.map((id) => `w${id}`).join(' '),
  chatOverheadTokens: 0,
};
