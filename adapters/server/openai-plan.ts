/**
 * What each choice of a request will say, decided before generation starts: the synthetic text is
 * deterministic (token i of choice j is the tokenizer's generated word i + j), so `stop` strings,
 * `stop_token_ids` and `min_tokens` fix the output length up front, and the timing backend is asked
 * for exactly that many tokens. Stop semantics follow vLLM: stops count only once `min_tokens` are
 * out; a stop string ends the text before it (or after it with `include_stop_str_in_output`), a stop
 * token id ends it without the token's text; the token that triggered the stop is counted in
 * `completion_tokens`; finish_reason "stop" with `stop_reason` the string or id, else "length"
 * (this server never draws EOS: every output runs to max_tokens unless a stop hits, which is what
 * `ignore_eos: true` asks of a real model).
 *
 * Logprobs are synthetic and documented as such (docs/live.md): the chosen token of position i gets
 * ln(0.9) - 0.01 (i mod 10), the k - 1 alternatives (other generated words) 1, 2, ... nats less.
 */
import type { ParsedRequest, PromptInput } from './openai-request.js';
import type { Tokenizer } from './tokenizer.js';

export interface ChoicePlan {
  /** vLLM's choice index: prompt index x n + j. */
  index: number;
  /** j: the choice's offset into the generated words. */
  offset: number;
  prompt: PromptInput;
  ids: number[];
  /** Text each token adds (the last one cut at a stop string). */
  pieces: string[];
  finishReason: 'stop' | 'length';
  stopReason: string | number | null;
}

export function planChoice(p: ParsedRequest, tok: Tokenizer, promptIndex: number, j: number): ChoicePlan {
  const ids: number[] = [];
  const pieces: string[] = [];
  let text = '';
  const longestStop = Math.max(0, ...p.stop.map((s) => s.length));
  for (let i = 0; i < p.maxTokens; i++) {
    const g = tok.generated(i + j);
    ids.push(g.id);
    const mayStop = i + 1 >= p.minTokens;
    if (mayStop && p.stopTokenIds.includes(g.id)) {
      pieces.push('');
      return { index: promptIndex * p.n + j, offset: j, prompt: p.prompts[promptIndex]!, ids, pieces, finishReason: 'stop', stopReason: g.id };
    }
    const before = text.length;
    text += g.text;
    pieces.push(g.text);
    if (!mayStop || p.stop.length === 0) continue;
    // Only a match ending in the new text can be new; look back far enough to catch one spanning tokens.
    const from = Math.max(0, before - longestStop + 1);
    let hit: { at: number; s: string } | null = null;
    for (const s of p.stop) {
      const at = text.indexOf(s, from);
      if (at >= 0 && (hit === null || at < hit.at)) hit = { at, s };
    }
    if (hit) {
      const end = p.includeStopStr ? hit.at + hit.s.length : hit.at;
      pieces[i] = text.slice(before, Math.max(before, end));
      // A stop string that began in earlier tokens: those tokens' text was already emitted, as vLLM's
      // streaming emits text it cannot yet know will be part of a stop (it holds back at most the stop length).
      return { index: promptIndex * p.n + j, offset: j, prompt: p.prompts[promptIndex]!, ids, pieces, finishReason: 'stop', stopReason: hit.s };
    }
  }
  return { index: promptIndex * p.n + j, offset: j, prompt: p.prompts[promptIndex]!, ids, pieces, finishReason: 'length', stopReason: null };
}

export function planChoices(p: ParsedRequest, tok: Tokenizer): ChoicePlan[] {
  const out: ChoicePlan[] = [];
  for (let pi = 0; pi < p.prompts.length; pi++) for (let j = 0; j < p.n; j++) out.push(planChoice(p, tok, pi, j));
  return out;
}

const chosenLogprob = (i: number): number => Math.log(0.9) - 0.01 * (i % 10);

/** The k alternatives at position i (the chosen token first), as [text, logprob]. */
function alternatives(tok: Tokenizer, i: number, j: number, k: number): [string, number][] {
  const out: [string, number][] = [];
  for (let m = 0; m < k; m++) out.push([tok.generated(i + j + (m === 0 ? 0 : 37 + m)).text, chosenLogprob(i) - m]);
  return out;
}

/** Completions `logprobs` for tokens [from, to) of a choice (vLLM's CompletionLogProbs shape). */
export function completionLogprobs(c: ChoicePlan, tok: Tokenizer, k: number, from: number, to: number, textOffset0: number): Record<string, unknown> {
  const j = c.offset;
  const tokens: string[] = [];
  const lps: number[] = [];
  const tops: Record<string, number>[] = [];
  const offsets: number[] = [];
  let off = textOffset0;
  for (let i = from; i < to; i++) {
    tokens.push(c.pieces[i]!);
    lps.push(chosenLogprob(i));
    tops.push(Object.fromEntries(alternatives(tok, i, j, Math.max(k, 1)).slice(0, Math.max(k, 1))));
    offsets.push(off);
    off += c.pieces[i]!.length;
  }
  return { text_offset: offsets, token_logprobs: lps, tokens, top_logprobs: tops };
}

/** Chat `logprobs.content` entries for tokens [from, to) of a choice. */
export function chatLogprobs(c: ChoicePlan, tok: Tokenizer, k: number, from: number, to: number): Record<string, unknown> {
  const bytes = (s: string): number[] => [...Buffer.from(s, 'utf8')];
  const content = [];
  for (let i = from; i < to; i++) {
    const t = c.pieces[i]!;
    content.push({
      token: t,
      logprob: chosenLogprob(i),
      bytes: bytes(t),
      top_logprobs: alternatives(tok, i, c.offset, k).map(([token, logprob]) => ({ token, logprob, bytes: bytes(token) })),
    });
  }
  return { content };
}
