/**
 * One streamed request to an OpenAI-compatible server, timed exactly as `vllm bench serve` does
 * (vllm/benchmarks/lib/endpoint_request_func.py, reference Part 1.3):
 * - `st` is taken just before the POST;
 * - TTFT = first SSE chunk whose `choices` is non-empty (even with empty text) - st;
 * - ITL = one gap per later chunk with choices;
 * - E2EL = last chunk with choices - st (the usage chunk does not count);
 * - output tokens = `usage.completion_tokens` of the final usage chunk.
 * Unlike the bench, a stream that ends without `data: [DONE]` counts as failed: a truncated stream
 * is what a mid-stream server fault looks like, and its timings are not a completed request.
 * Failures never throw: they come back as `success: false` with a reason.
 */
import { createParser } from 'eventsource-parser';
import type { LiveRequestResult } from './types.js';

export type ApiKind = 'completions' | 'chat';

export interface LiveTarget {
  /** e.g. http://127.0.0.1:8000 (no trailing /v1). */
  baseUrl: string;
  model: string;
  api: ApiKind;
  /** Sent as `Authorization: Bearer ...`; never logged or written. */
  apiKey?: string;
  /** Whole-request timeout, ms. */
  timeoutMs: number;
  /** Extra body fields merged last (vllm bench's `extra_body`). */
  extraBody?: Record<string, unknown>;
  /** Chat mode: user text for prompt ids (the model's tokenizer and template); default idsToText. */
  chatContent?: (ids: readonly number[]) => string;
}

export interface LiveRequest {
  id: number;
  arrivalS: number;
  promptTokenIds: readonly number[];
  maxTokens: number;
  /** Sent as X-Request-Id. */
  requestId?: string;
}

/** Chat takes text, not ids: one word per id, which a whitespace tokenizer counts exactly. */
export function idsToText(ids: readonly number[]): string {
  return ids.map((id) => `w${id}`).join(' ');
}

export function requestBody(target: LiveTarget, req: LiveRequest): Record<string, unknown> {
  const common = {
    model: target.model,
    max_tokens: req.maxTokens,
    ignore_eos: true,
    stream: true,
    stream_options: { include_usage: true },
  };
  const body =
    target.api === 'completions'
      ? { ...common, prompt: req.promptTokenIds, repetition_penalty: 1.0 }
      : { ...common, messages: [{ role: 'user', content: (target.chatContent ?? idsToText)(req.promptTokenIds) }], max_completion_tokens: req.maxTokens };
  return { ...body, ...target.extraBody };
}

export function requestHeaders(target: LiveTarget, requestId?: string): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (target.apiKey) h['authorization'] = `Bearer ${target.apiKey}`;
  if (requestId) h['x-request-id'] = requestId;
  return h;
}

/** A short, secret-free reason for a fetch or stream failure. */
export function failureReason(e: unknown, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `timeout after ${timeoutMs} ms`;
  const err = e as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  const code = err.cause?.code ?? err.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'connection reset';
  if (code === 'ENOTFOUND') return 'host not found';
  if (err.message === 'terminated') return 'connection reset';
  return `${err.name ?? 'Error'}: ${err.cause?.message ?? err.message ?? String(e)}`.slice(0, 200);
}

/** Error text of a non-2xx answer: vLLM's {"error":{"message"}} or older {"message"}, else the raw text. */
export async function httpErrorReason(resp: Response): Promise<string> {
  const text = await resp.text().catch(() => '');
  let msg = text;
  try {
    const j = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    msg = (typeof j.error === 'object' ? j.error?.message : j.error) ?? j.message ?? text;
  } catch {
    // not JSON: keep the text
  }
  return `http ${resp.status}: ${msg}`.slice(0, 300);
}

interface Chunk {
  choices?: { text?: string | null; delta?: { content?: string | null } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

/**
 * Sends one request and measures it. `runStartMs` is the performance.now() origin of the run, so
 * `startS` lines up across requests.
 */
export async function sendStreamed(target: LiveTarget, req: LiveRequest, runStartMs: number): Promise<LiveRequestResult> {
  const result: LiveRequestResult = {
    id: req.id,
    arrivalS: req.arrivalS,
    startS: 0,
    success: false,
    ttftMs: null,
    itlMs: [],
    e2elMs: null,
    promptTokens: req.promptTokenIds.length,
    requestedOutputTokens: req.maxTokens,
    outputTokens: null,
    usagePromptTokens: null,
  };
  const path = target.api === 'completions' ? '/v1/completions' : '/v1/chat/completions';
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, target.timeoutMs);
  const body = JSON.stringify(requestBody(target, req));
  const st = performance.now();
  result.startS = (st - runStartMs) / 1000;
  let lastTokenMs: number | null = null;
  let sawDone = false;
  try {
    const resp = await fetch(target.baseUrl + path, {
      method: 'POST',
      headers: requestHeaders(target, req.requestId),
      body,
      signal: controller.signal,
    });
    if (!resp.ok || !resp.body) {
      result.error = await httpErrorReason(resp);
      return result;
    }
    // One TransformStream-free pass per network read: the parser collects the events of the
    // chunk, all timestamped when the read resolved (as the bench timestamps each message).
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    const events: string[] = [];
    const parser = createParser({ onEvent: (ev) => events.push(ev.data) });
    read: for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const now = performance.now();
      parser.feed(decoder.decode(value, { stream: true }));
      for (const data of events.splice(0)) {
        if (data === '[DONE]') {
          sawDone = true;
          break read;
        }
        let chunk: Chunk;
        try {
          chunk = JSON.parse(data) as Chunk;
        } catch {
          result.error = 'malformed SSE data';
          return result;
        }
        if (chunk.choices && chunk.choices.length > 0) {
          if (lastTokenMs === null) result.ttftMs = now - st;
          else result.itlMs.push(now - lastTokenMs);
          lastTokenMs = now;
        }
        if (chunk.usage) {
          result.outputTokens = chunk.usage.completion_tokens ?? null;
          result.usagePromptTokens = chunk.usage.prompt_tokens ?? null;
        }
      }
    }
    if (lastTokenMs === null) result.error = 'never received a chunk with choices';
    else if (!sawDone) result.error = 'stream ended without [DONE]';
    else {
      result.success = true;
      result.e2elMs = lastTokenMs - st;
      result.lengthMismatch = lengthMismatch(target, result);
      if (result.lengthMismatch === undefined) delete result.lengthMismatch;
    }
    return result;
  } catch (e) {
    result.error = failureReason(e, target.timeoutMs, timedOut);
    return result;
  } finally {
    clearTimeout(timer);
    // Release the socket of a half-read stream; a failed request keeps its partial TTFT for diagnosis.
    if (!result.success) controller.abort();
  }
}

function lengthMismatch(target: LiveTarget, r: LiveRequestResult): string | undefined {
  const parts: string[] = [];
  if (r.outputTokens === null) parts.push('no usage chunk (is stream_options.include_usage supported?)');
  else if (r.outputTokens !== r.requestedOutputTokens) parts.push(`output ${r.outputTokens} != max_tokens ${r.requestedOutputTokens}`);
  // Chat prompts go through a template, so only completions prompts must match exactly.
  if (target.api === 'completions' && r.usagePromptTokens !== null && r.usagePromptTokens !== r.promptTokens) {
    parts.push(`prompt ${r.usagePromptTokens} != sent ${r.promptTokens}`);
  }
  return parts.length ? parts.join('; ') : undefined;
}
