/**
 * Parsing and checking an OpenAI-style request body the way vLLM answers it: 404 for a model it
 * does not serve, 400 for a prompt plus max_tokens past max_model_len (with vLLM's wording, which
 * clients grep for), 400 for malformed or unsupported fields (openai-params.ts says which).
 * `prompt` may be a string, a list of token ids, or a list of either (one set of choices per
 * prompt, as vLLM); chat messages go through the tokenizer's chat template.
 */
import { HttpError } from '../http/body.js';
import { checkParameters, logprobCount } from './openai-params.js';
import type { ChatMessage, Tokenizer } from './tokenizer.js';

/** The P/D fields of vLLM's NIXL protocol (reference Part 1.5). */
export interface KvTransferParams {
  do_remote_decode?: boolean;
  do_remote_prefill?: boolean;
  remote_engine_id?: string | null;
  remote_block_ids?: number[] | null;
  remote_host?: string | null;
  remote_port?: number | null;
  tp_size?: number;
}

export interface PromptInput {
  ids: number[];
  /** The prompt as text (decoded when it came as ids), for `echo`. */
  text: string;
}

export interface ParsedRequest {
  api: 'completions' | 'chat';
  model: string;
  prompts: PromptInput[];
  /** Tokens of the first prompt (the only one for chat and P/D legs). */
  promptTokens: number;
  maxTokens: number;
  /** Choices per prompt. */
  n: number;
  stream: boolean;
  includeUsage: boolean;
  /** vLLM's `continuous_usage_stats`: usage in every chunk. */
  continuousUsage: boolean;
  stop: string[];
  stopTokenIds: number[];
  includeStopStr: boolean;
  minTokens: number;
  echo: boolean;
  /** Top logprobs per token (completions `logprobs`, chat `top_logprobs`); null when not asked. */
  logprobs: number | null;
  /** Parameters accepted without effect on the response (x-pdsim-ignored). */
  ignored: string[];
  kvTransferParams?: KvTransferParams;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIds = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => Number.isInteger(x));

function prompts(prompt: unknown, tok: Tokenizer): PromptInput[] {
  const one = (p: unknown): PromptInput => {
    if (typeof p === 'string' && p !== '') return { ids: tok.encode(p), text: p };
    if (isIds(p)) return { ids: p, text: tok.decode(p) };
    throw new HttpError(400, 'prompt must be a string, a list of token ids, or a list of those');
  };
  if (prompt === undefined || prompt === null || prompt === '') throw new HttpError(400, 'Either prompt or prompt_embeds must be provided and non-empty.');
  if (typeof prompt === 'string' || isIds(prompt)) return [one(prompt)];
  if (Array.isArray(prompt) && prompt.length > 0) return prompt.map(one);
  return [one(prompt)];
}

function chatMessages(messages: unknown): ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) throw new HttpError(400, 'messages must be a non-empty list');
  return messages.map((m) => {
    if (!isObj(m) || typeof m['role'] !== 'string') throw new HttpError(400, 'each message must be an object with a "role"');
    const c = m['content'];
    if (typeof c === 'string' || c === null || c === undefined) return { role: m['role'], content: c ?? '' };
    if (!Array.isArray(c)) throw new HttpError(400, 'message content must be a string or a list of content parts');
    const texts = c.map((part) => {
      if (isObj(part) && part['type'] === 'text' && typeof part['text'] === 'string') return part['text'];
      throw new HttpError(400, `pdsim serve simulates text content parts only, got ${JSON.stringify(isObj(part) ? part['type'] : part)}`);
    });
    return { role: m['role'], content: texts.join('\n') };
  });
}

function stopList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  throw new HttpError(400, 'stop must be a string or a list of strings');
}

export function parseOpenAiRequest(
  api: 'completions' | 'chat',
  body: unknown,
  served: { modelName: string; maxModelLen: number; tokenizer: Tokenizer },
): ParsedRequest {
  if (!isObj(body)) throw new HttpError(400, 'Request body must be a JSON object');
  const model = body['model'] ?? served.modelName;
  if (model !== served.modelName) throw new HttpError(404, `The model \`${String(model)}\` does not exist.`, 'NotFoundError');
  const ignored = checkParameters(api, body);
  const tok = served.tokenizer;
  let ps: PromptInput[];
  if (api === 'completions') ps = prompts(body['prompt'], tok);
  else {
    const msgs = chatMessages(body['messages']);
    const text = tok.chatPrompt(msgs);
    // Chat `echo` (vLLM): the reply is prefixed with the last message when that is the assistant's.
    const last = msgs.at(-1)!;
    ps = [{ ids: tok.encode(text), text: last.role === 'assistant' ? last.content : '' }];
  }
  const promptTokens = ps[0]!.ids.length;
  const rawMax = api === 'chat' ? (body['max_completion_tokens'] ?? body['max_tokens']) : body['max_tokens'];
  // vLLM's defaults: 16 for completions; for chat, whatever room the context leaves.
  const longest = Math.max(...ps.map((p) => p.ids.length));
  const maxTokens = rawMax ?? (api === 'completions' ? 16 : served.maxModelLen - promptTokens);
  if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1) throw new HttpError(400, `max_tokens must be at least 1, got ${JSON.stringify(maxTokens)}.`);
  const total = longest + (maxTokens as number);
  if (total > served.maxModelLen) {
    throw new HttpError(
      400,
      `This model's maximum context length is ${served.maxModelLen} tokens. However, you requested ${total} tokens ` +
        `(${longest} in the messages, ${maxTokens as number} in the completion). Please reduce the length of the messages or completion.`,
    );
  }
  const n = body['n'] ?? 1;
  if (!Number.isInteger(n) || (n as number) < 1) throw new HttpError(400, `n must be at least 1, got ${JSON.stringify(n)}.`);
  const minTokens = body['min_tokens'] ?? 0;
  if (!Number.isInteger(minTokens) || (minTokens as number) < 0) throw new HttpError(400, `min_tokens must be greater than or equal to 0, got ${JSON.stringify(minTokens)}.`);
  if ((minTokens as number) > (maxTokens as number)) throw new HttpError(400, `min_tokens must be less than or equal to max_tokens=${maxTokens as number}, got ${minTokens as number}.`);
  const stopIds = body['stop_token_ids'] ?? [];
  if (!Array.isArray(stopIds) || !stopIds.every((x) => Number.isInteger(x))) throw new HttpError(400, 'stop_token_ids must be a list of integers');
  const so = body['stream_options'];
  const kv = body['kv_transfer_params'];
  const parsed: ParsedRequest = {
    api,
    model: served.modelName,
    prompts: ps,
    promptTokens,
    maxTokens: maxTokens as number,
    n: n as number,
    stream: body['stream'] === true,
    includeUsage: isObj(so) && so['include_usage'] === true,
    continuousUsage: isObj(so) && so['continuous_usage_stats'] === true,
    stop: stopList(body['stop']),
    stopTokenIds: stopIds as number[],
    includeStopStr: body['include_stop_str_in_output'] === true,
    minTokens: minTokens as number,
    echo: body['echo'] === true,
    logprobs: logprobCount(api, body),
    ignored,
    kvTransferParams: isObj(kv) ? (kv as KvTransferParams) : undefined,
  };
  if (parsed.kvTransferParams && (ps.length > 1 || parsed.n > 1)) throw new HttpError(400, 'pdsim serve: a P/D request (kv_transfer_params) takes one prompt and n = 1');
  return parsed;
}
