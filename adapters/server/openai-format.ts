/**
 * Response bodies and SSE chunks in the shape vLLM's OpenAI server emits (reference Part 1.3):
 * completions chunks carry `choices[0].text`, chat chunks `choices[0].delta.content` (the first
 * chat chunk carries the role), the last token chunk has `finish_reason: "length"`, and with
 * `include_usage` a final chunk has `choices: []` and `usage`, followed by `data: [DONE]`.
 */
import type { KvTransferParams, ParsedRequest } from './openai-request.js';

export interface Usage {
  prompt_tokens: number;
  total_tokens: number;
  completion_tokens: number;
}

export const usageOf = (promptTokens: number, completionTokens: number): Usage => ({
  prompt_tokens: promptTokens,
  total_tokens: promptTokens + completionTokens,
  completion_tokens: completionTokens,
});

export const sse = (obj: unknown): string => `data: ${JSON.stringify(obj)}\n\n`;
export const SSE_DONE = 'data: [DONE]\n\n';

export interface ResponseIds {
  id: string;
  created: number;
}

export function streamChunk(
  req: ParsedRequest,
  ids: ResponseIds,
  text: string,
  finishReason: 'length' | null,
  role = false,
): Record<string, unknown> {
  const base = { id: ids.id, created: ids.created, model: req.model };
  if (req.api === 'completions') {
    return {
      ...base,
      object: 'text_completion',
      choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason, stop_reason: null }],
    };
  }
  const delta = role ? { role: 'assistant', content: '' } : { content: text };
  return {
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}

export function usageChunk(req: ParsedRequest, ids: ResponseIds, usage: Usage): Record<string, unknown> {
  return {
    id: ids.id,
    object: req.api === 'completions' ? 'text_completion' : 'chat.completion.chunk',
    created: ids.created,
    model: req.model,
    choices: [],
    usage,
  };
}

export function fullResponse(
  req: ParsedRequest,
  ids: ResponseIds,
  text: string,
  usage: Usage,
  kvTransferParams: KvTransferParams | null,
): Record<string, unknown> {
  const base = { id: ids.id, created: ids.created, model: req.model, usage, kv_transfer_params: kvTransferParams };
  if (req.api === 'completions') {
    return {
      ...base,
      object: 'text_completion',
      choices: [{ index: 0, text, logprobs: null, finish_reason: 'length', stop_reason: null, prompt_logprobs: null }],
    };
  }
  return {
    ...base,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: 'length', stop_reason: null }],
    prompt_logprobs: null,
  };
}
