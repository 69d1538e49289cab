/**
 * Parsing and checking an OpenAI-style request body the way vLLM answers it: 404 for a model it
 * does not serve, 400 for a prompt plus max_tokens past max_model_len (with vLLM's wording, which
 * clients grep for), 400 for malformed fields.
 */
import { HttpError } from '../http/body.js';
import { tokenizeText } from './tokenizer.js';

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

export interface ParsedRequest {
  api: 'completions' | 'chat';
  model: string;
  promptTokens: number;
  maxTokens: number;
  stream: boolean;
  includeUsage: boolean;
  kvTransferParams?: KvTransferParams;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function promptLength(prompt: unknown): number {
  if (typeof prompt === 'string') return tokenizeText(prompt).length;
  if (Array.isArray(prompt) && prompt.every((x) => Number.isInteger(x))) return prompt.length;
  if (Array.isArray(prompt) && prompt.length === 1) return promptLength(prompt[0]);
  throw new HttpError(400, 'prompt must be a string or a list of token ids (batched prompts are not supported)');
}

function chatLength(messages: unknown): number {
  if (!Array.isArray(messages) || messages.length === 0) throw new HttpError(400, 'messages must be a non-empty list');
  let n = 0;
  for (const m of messages) {
    if (!isObj(m)) throw new HttpError(400, 'each message must be an object');
    const c = m['content'];
    if (typeof c === 'string') n += tokenizeText(c).length;
    else if (Array.isArray(c)) for (const part of c) if (isObj(part) && typeof part['text'] === 'string') n += tokenizeText(part['text']).length;
  }
  return n;
}

export function parseOpenAiRequest(
  api: 'completions' | 'chat',
  body: unknown,
  served: { modelName: string; maxModelLen: number },
): ParsedRequest {
  if (!isObj(body)) throw new HttpError(400, 'Request body must be a JSON object');
  const model = body['model'] ?? served.modelName;
  if (model !== served.modelName) throw new HttpError(404, `The model \`${String(model)}\` does not exist.`, 'NotFoundError');
  const promptTokens = api === 'completions' ? promptLength(body['prompt']) : chatLength(body['messages']);
  const rawMax = api === 'chat' ? (body['max_completion_tokens'] ?? body['max_tokens']) : body['max_tokens'];
  // vLLM's defaults: 16 for completions; for chat, whatever room the context leaves.
  const maxTokens = rawMax ?? (api === 'completions' ? 16 : served.maxModelLen - promptTokens);
  if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1) throw new HttpError(400, 'max_tokens must be an integer >= 1');
  const total = promptTokens + (maxTokens as number);
  if (total > served.maxModelLen) {
    throw new HttpError(
      400,
      `This model's maximum context length is ${served.maxModelLen} tokens. However, you requested ${total} tokens ` +
        `(${promptTokens} in the messages, ${maxTokens as number} in the completion). Please reduce the length of the messages or completion.`,
    );
  }
  const so = body['stream_options'];
  const kv = body['kv_transfer_params'];
  return {
    api,
    model: served.modelName,
    promptTokens,
    maxTokens: maxTokens as number,
    stream: body['stream'] === true,
    includeUsage: isObj(so) && so['include_usage'] === true,
    kvTransferParams: isObj(kv) ? (kv as KvTransferParams) : undefined,
  };
}
