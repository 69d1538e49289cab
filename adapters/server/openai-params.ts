/**
 * Every request parameter of the OpenAI Python SDK (`completions.create`, `chat.completions.create`)
 * and of vLLM's benchmark client (vllm/benchmarks/lib/endpoint_request_func.py), with what
 * `pdsim serve` does with it. Nothing is dropped without saying so:
 *   - honoured: changes the response (lengths, text, choices, logprobs, usage) as vLLM would;
 *   - no effect: validated with vLLM's own 400 messages (SamplingParams._verify_args and
 *     entrypoints/openai/protocol.py), then accepted; they choose *which* tokens a real model
 *     draws, and the synthetic text does not depend on that. Named in the `x-pdsim-ignored`
 *     response header and in the request log line;
 *   - rejected: 400, with vLLM's message where vLLM rejects it too, else one naming pdsim;
 *   - unknown fields: accepted as vLLM does (it logs them as ignored) and named in the same header.
 */
import { HttpError } from '../http/body.js';

export type Disposition = 'honoured' | 'no effect' | 'rejected';

/** vLLM's `--max-logprobs` default. */
export const MAX_LOGPROBS = 20;

const HONOURED = [
  'model', 'prompt', 'messages', 'max_tokens', 'max_completion_tokens', 'n', 'stop', 'stop_token_ids', 'include_stop_str_in_output',
  'echo', 'logprobs', 'top_logprobs', 'stream', 'stream_options', 'ignore_eos', 'min_tokens', 'kv_transfer_params', 'add_generation_prompt',
];
const NO_EFFECT = [
  'temperature', 'top_p', 'top_k', 'min_p', 'seed', 'presence_penalty', 'frequency_penalty', 'repetition_penalty', 'logit_bias', 'user',
  'metadata', 'store', 'service_tier', 'safety_identifier', 'prompt_cache_key', 'parallel_tool_calls', 'reasoning_effort', 'verbosity',
  'skip_special_tokens', 'spaces_between_special_tokens', 'priority', 'request_id', 'cache_salt', 'length_penalty', 'truncate_prompt_tokens',
  'best_of', 'tools', 'tool_choice', 'response_format', 'modalities', 'add_special_tokens', 'chat_template_kwargs',
];
const REJECTED = ['suffix', 'prompt_logprobs', 'functions', 'function_call', 'audio', 'prediction', 'web_search_options', 'guided_json', 'guided_regex', 'guided_choice', 'guided_grammar', 'structured_outputs', 'prompt_embeds'];

/** The table the docs print (docs/live.md) and the tests walk. */
export const PARAMETERS: Readonly<Record<string, Disposition>> = Object.fromEntries([
  ...HONOURED.map((k) => [k, 'honoured'] as const),
  ...NO_EFFECT.map((k) => [k, 'no effect'] as const),
  ...REJECTED.map((k) => [k, 'rejected'] as const),
]);

const bad = (message: string): never => {
  throw new HttpError(400, message);
};
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Range checks of the sampling parameters, with vLLM's messages. */
function checkSampling(b: Record<string, unknown>): void {
  const n = (k: string): number | undefined => (b[k] === undefined || b[k] === null ? undefined : isNum(b[k]) ? b[k] : bad(`${k} must be a number, got ${JSON.stringify(b[k])}.`));
  const t = n('temperature');
  if (t !== undefined && t < 0) bad(`temperature must be non-negative, got ${t}.`);
  const p = n('top_p');
  if (p !== undefined && !(p > 0 && p <= 1)) bad(`top_p must be in (0, 1], got ${p}.`);
  const k = n('top_k');
  if (k !== undefined && k !== -1 && k !== 0 && (k < 1 || !Number.isInteger(k))) bad(`top_k must be 0 (disable), or at least 1, got ${k}.`);
  const mp = n('min_p');
  if (mp !== undefined && !(mp >= 0 && mp <= 1)) bad(`min_p must be in [0, 1], got ${mp}.`);
  for (const key of ['presence_penalty', 'frequency_penalty']) {
    const v = n(key);
    if (v !== undefined && !(v >= -2 && v <= 2)) bad(`${key} must be in [-2, 2], got ${v}.`);
  }
  const r = n('repetition_penalty');
  if (r !== undefined && !(r > 0)) bad(`repetition_penalty must be greater than zero, got ${r}.`);
  n('seed');
}

/** Parameters pdsim cannot honour: vLLM's message where vLLM refuses them as well. */
function checkRejected(api: 'completions' | 'chat', b: Record<string, unknown>): void {
  if (b['suffix'] !== undefined && b['suffix'] !== null) bad('suffix is not currently supported');
  if (b['prompt_logprobs'] !== undefined && b['prompt_logprobs'] !== null) bad('pdsim serve does not simulate prompt_logprobs');
  if (b['best_of'] !== undefined && b['best_of'] !== null && b['best_of'] !== 1) bad('pdsim serve does not simulate best_of > 1 (vLLM V1 does not support it either)');
  const tools = b['tools'];
  const choice = b['tool_choice'] ?? (Array.isArray(tools) && tools.length > 0 ? 'auto' : 'none');
  if (api === 'chat' && choice === 'auto') bad('"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set');
  if (api === 'chat' && choice !== 'none') bad('pdsim serve does not simulate tool calls (tool_choice must be "none")');
  const rf = b['response_format'] as { type?: unknown } | undefined | null;
  if (rf && rf.type !== 'text') bad(`pdsim serve does not simulate structured outputs (response_format type ${JSON.stringify(rf.type)}); its text is synthetic`);
  const mod = b['modalities'];
  if (Array.isArray(mod) && mod.some((m) => m !== 'text')) bad('pdsim serve generates text only (modalities must be ["text"])');
  for (const key of ['functions', 'function_call', 'audio', 'prediction', 'web_search_options', 'guided_json', 'guided_regex', 'guided_choice', 'guided_grammar', 'structured_outputs', 'prompt_embeds']) {
    if (b[key] !== undefined && b[key] !== null) bad(`pdsim serve does not simulate "${key}"`);
  }
}

/** Validates every known parameter; returns the names accepted without effect (known or unknown). */
export function checkParameters(api: 'completions' | 'chat', b: Record<string, unknown>): string[] {
  checkSampling(b);
  checkRejected(api, b);
  if (b['stream_options'] !== undefined && b['stream_options'] !== null && b['stream'] !== true) bad('Stream options can only be defined when `stream=True`.');
  return Object.keys(b)
    .filter((k) => b[k] !== undefined && b[k] !== null && PARAMETERS[k] !== 'honoured')
    .sort();
}

/** Logprob counts: completions `logprobs: k`; chat `logprobs: true` with `top_logprobs: k`. Null = none asked. */
export function logprobCount(api: 'completions' | 'chat', b: Record<string, unknown>): number | null {
  if (api === 'completions') {
    const lp = b['logprobs'];
    if (lp === undefined || lp === null) return null;
    if (!Number.isInteger(lp)) bad(`logprobs must be an integer, got ${JSON.stringify(lp)}.`);
    if ((lp as number) < 0) bad('`logprobs` must be a positive value.');
    if ((lp as number) > MAX_LOGPROBS) bad(`Requested sample logprobs of ${lp as number}, which is greater than max allowed: ${MAX_LOGPROBS}`);
    return lp as number;
  }
  const top = b['top_logprobs'];
  if (top !== undefined && top !== null) {
    if (!Number.isInteger(top) || (top as number) < 0) bad('`top_logprobs` must be a positive value.');
    if ((top as number) > 0 && b['logprobs'] !== true) bad('when using `top_logprobs`, `logprobs` must be set to true.');
    if ((top as number) > MAX_LOGPROBS) bad(`Requested sample logprobs of ${top as number}, which is greater than max allowed: ${MAX_LOGPROBS}`);
  }
  return b['logprobs'] === true ? ((top as number | undefined | null) ?? 0) : null;
}
