/**
 * Response bodies and SSE chunks in the shape vLLM's OpenAI server emits (reference Part 1.3):
 * completions chunks carry `choices[0].text`, chat chunks `choices[0].delta.content` (the first
 * chat chunk of each choice carries the role), the last token chunk of a choice has its
 * `finish_reason` ("length" or "stop") and `stop_reason`, and with
 * `include_usage` a final chunk has `choices: []` and `usage`, followed by `data: [DONE]`.
 */
import type { ChoicePlan } from './openai-plan.js';
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

/** One streamed chunk of one choice; `finish` is set on its last token chunk. */
export function streamChunk(
  req: ParsedRequest,
  ids: ResponseIds,
  c: ChoicePlan,
  text: string,
  finish: boolean,
  logprobs: Record<string, unknown> | null = null,
  usage?: Usage,
): Record<string, unknown> {
  const base = { id: ids.id, created: ids.created, model: req.model };
  const finishReason = finish ? c.finishReason : null;
  const stopReason = finish ? c.stopReason : null;
  const extra = usage ? { usage } : {};
  if (req.api === 'completions') {
    return { ...base, object: 'text_completion', choices: [{ index: c.index, text, logprobs, finish_reason: finishReason, stop_reason: stopReason }], ...extra };
  }
  return { ...base, object: 'chat.completion.chunk', choices: [{ index: c.index, delta: { content: text }, logprobs, finish_reason: finishReason, stop_reason: stopReason }], ...extra };
}

/** The first chat chunk of a choice: the role, empty content. */
export function roleChunk(req: ParsedRequest, ids: ResponseIds, index: number): Record<string, unknown> {
  return { id: ids.id, created: ids.created, model: req.model, object: 'chat.completion.chunk', choices: [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] };
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

export interface FinishedChoice {
  plan: ChoicePlan;
  text: string;
  logprobs: Record<string, unknown> | null;
}

export function fullResponse(
  req: ParsedRequest,
  ids: ResponseIds,
  choices: readonly FinishedChoice[],
  usage: Usage,
  kvTransferParams: KvTransferParams | null,
): Record<string, unknown> {
  const base = { id: ids.id, created: ids.created, model: req.model, usage, kv_transfer_params: kvTransferParams };
  if (req.api === 'completions') {
    return {
      ...base,
      object: 'text_completion',
      choices: choices.map((c) => ({ index: c.plan.index, text: c.text, logprobs: c.logprobs, finish_reason: c.plan.finishReason, stop_reason: c.plan.stopReason, prompt_logprobs: null })),
    };
  }
  return {
    ...base,
    object: 'chat.completion',
    choices: choices.map((c) => ({ index: c.plan.index, message: { role: 'assistant', content: c.text }, logprobs: c.logprobs, finish_reason: c.plan.finishReason, stop_reason: c.plan.stopReason })),
    prompt_logprobs: null,
  };
}
