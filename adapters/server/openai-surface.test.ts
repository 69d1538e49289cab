import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeBackend } from './fake-backend.js';
import { PARAMETERS } from './openai-params.js';
import { IGNORED_HEADER, startSimServer, type SimServer } from './server.js';
import { wordId } from './tokenizer.js';

let server: SimServer;
const MODEL = 'sim-model';

beforeAll(async () => {
  server = await startSimServer({ backend: createFakeBackend({ prefillBaseMs: 2, prefillMsPerToken: 0.001, itlMs: 1 }), modelName: MODEL, maxModelLen: 4096 });
});
afterAll(async () => server.close());

const post = (path: string, body: unknown): Promise<Response> =>
  fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
const json = async (path: string, body: unknown): Promise<{ status: number; body: Record<string, any>; ignored: string | null }> => {
  const r = await post(path, body);
  return { status: r.status, body: (await r.json()) as Record<string, any>, ignored: r.headers.get(IGNORED_HEADER) };
};
const events = async (r: Response): Promise<Record<string, any>[]> =>
  (await r.text())
    .split('\n\n')
    .filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]')
    .map((e) => JSON.parse(e.slice(6)) as Record<string, any>);
const error400 = async (path: string, body: unknown): Promise<string> => {
  const r = await json(path, body);
  expect(r.status, JSON.stringify(body)).toBe(400);
  return r.body['error'].message as string;
};

describe("vLLM's benchmark client payloads (endpoint_request_func.py)", () => {
  it('completions: token-id prompt, ignore_eos, logprobs null, repetition_penalty named as without effect', async () => {
    const r = await post('/v1/completions', {
      model: MODEL, prompt: [11, 12, 13, 14], repetition_penalty: 1.0, max_tokens: 6, logprobs: null, stream: true, stream_options: { include_usage: true }, ignore_eos: true,
    });
    expect(r.headers.get(IGNORED_HEADER)).toBe('repetition_penalty');
    const ev = await events(r);
    expect(ev.at(-1)!['usage']).toEqual({ prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 });
    expect(ev.slice(0, -1).map((c) => c['choices'][0].text).join('')).toBe(' t0 t1 t2 t3 t4 t5');
  });

  it('chat: content parts, temperature 0, max_completion_tokens', async () => {
    const r = await post('/v1/chat/completions', {
      model: MODEL, messages: [{ role: 'user', content: [{ type: 'text', text: 'w1 w2 w3' }] }], temperature: 0.0, max_completion_tokens: 3,
      stream: true, stream_options: { include_usage: true }, ignore_eos: true,
    });
    expect(r.headers.get(IGNORED_HEADER)).toBe('temperature');
    const ev = await events(r);
    expect(ev[0]!['choices'][0].delta).toEqual({ role: 'assistant', content: '' });
    expect(ev.at(-1)!['usage'].prompt_tokens).toBe(3);
    expect(ev.at(-2)!['choices'][0].finish_reason).toBe('length');
  });
});

describe('OpenAI SDK parameters', () => {
  it('knows every parameter of completions.create and chat.completions.create', () => {
    const sdk = [
      'model', 'prompt', 'best_of', 'echo', 'frequency_penalty', 'logit_bias', 'logprobs', 'max_tokens', 'n', 'presence_penalty', 'seed', 'stop', 'stream',
      'stream_options', 'suffix', 'temperature', 'top_p', 'user', 'messages', 'audio', 'function_call', 'functions', 'max_completion_tokens', 'metadata',
      'modalities', 'parallel_tool_calls', 'prediction', 'prompt_cache_key', 'reasoning_effort', 'response_format', 'safety_identifier', 'service_tier',
      'store', 'tool_choice', 'tools', 'top_logprobs', 'verbosity', 'web_search_options',
    ];
    expect(sdk.filter((k) => PARAMETERS[k] === undefined)).toEqual([]);
  });

  it('n and a list of prompts: one choice per (prompt, j), indexed as vLLM, usage counting each prompt once', async () => {
    const r = await json('/v1/completions', { model: MODEL, prompt: ['a b', 'c d e'], n: 2, max_tokens: 3 });
    expect(r.status).toBe(200);
    const ch = r.body['choices'] as { index: number; text: string }[];
    expect(ch.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    expect(ch[0]!.text).toBe(' t0 t1 t2');
    expect(ch[1]!.text).toBe(' t1 t2 t3'); // choices differ: choice j starts at generated word j
    expect(r.body['usage']).toEqual({ prompt_tokens: 5, completion_tokens: 12, total_tokens: 17 });
  });

  it('stop strings end the text before the match; stop_reason names it; min_tokens defers it', async () => {
    const a = await json('/v1/completions', { model: MODEL, prompt: 'x', max_tokens: 10, stop: [' t3', 'never'] });
    expect(a.body['choices'][0]).toMatchObject({ text: ' t0 t1 t2', finish_reason: 'stop', stop_reason: ' t3' });
    expect(a.body['usage'].completion_tokens).toBe(4);
    const b = await json('/v1/completions', { model: MODEL, prompt: 'x', max_tokens: 10, stop: 't1', include_stop_str_in_output: true });
    expect(b.body['choices'][0]).toMatchObject({ text: ' t0 t1', finish_reason: 'stop' });
    const c = await json('/v1/completions', { model: MODEL, prompt: 'x', max_tokens: 30, stop: [' t1'], min_tokens: 5 });
    // ' t1' at token 1 is before min_tokens; the next match is the start of ' t10', token 10.
    expect(c.body['choices'][0]).toMatchObject({ text: ' t0 t1 t2 t3 t4 t5 t6 t7 t8 t9', finish_reason: 'stop' });
    expect(c.body['usage'].completion_tokens).toBe(11);
    const d = await json('/v1/completions', { model: MODEL, prompt: 'x', max_tokens: 10, stop_token_ids: [wordId('t2')] });
    expect(d.body['choices'][0]).toMatchObject({ text: ' t0 t1', finish_reason: 'stop', stop_reason: wordId('t2') });
    expect(d.body['usage'].completion_tokens).toBe(3);
  });

  it('streams a stopped choice with the same text and usage as the full response', async () => {
    const r = await post('/v1/completions', { model: MODEL, prompt: 'x', max_tokens: 10, stop: [' t4'], stream: true, stream_options: { include_usage: true } });
    const ev = await events(r);
    expect(ev.slice(0, -1).map((c) => c['choices'][0].text).join('')).toBe(' t0 t1 t2 t3');
    expect(ev.at(-2)!['choices'][0]).toMatchObject({ finish_reason: 'stop', stop_reason: ' t4' });
    expect(ev.at(-1)!['usage'].completion_tokens).toBe(5);
  });

  it('echo prepends the prompt (decoded when given as ids)', async () => {
    const a = await json('/v1/completions', { model: MODEL, prompt: 'hello there', max_tokens: 2, echo: true });
    expect(a.body['choices'][0].text).toBe('hello there t0 t1');
    const b = await json('/v1/completions', { model: MODEL, prompt: [wordId('t7'), 5], max_tokens: 1, echo: true });
    expect(b.body['choices'][0].text).toBe('t7 w5 t0');
  });

  it('synthetic logprobs in vLLM shapes: completions (top-k dicts, offsets) and chat (content entries)', async () => {
    const a = await json('/v1/completions', { model: MODEL, prompt: 'x', max_tokens: 3, logprobs: 2 });
    const lp = a.body['choices'][0].logprobs as { tokens: string[]; token_logprobs: number[]; top_logprobs: Record<string, number>[]; text_offset: number[] };
    expect(lp.tokens).toEqual([' t0', ' t1', ' t2']);
    expect(lp.text_offset).toEqual([0, 3, 6]);
    expect(lp.token_logprobs.every((x) => x < 0)).toBe(true);
    expect(lp.top_logprobs.every((t) => Object.keys(t).length === 2)).toBe(true);
    expect(lp.top_logprobs[0]![' t0']).toBe(lp.token_logprobs[0]); // the chosen token leads its alternatives
    const b = await json('/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2, logprobs: true, top_logprobs: 3 });
    const content = b.body['choices'][0].logprobs.content as { token: string; logprob: number; bytes: number[]; top_logprobs: unknown[] }[];
    expect(content.map((c) => c.token)).toEqual([' t0', ' t1']);
    expect(content[0]!.bytes).toEqual([...Buffer.from(' t0')]);
    expect(content[0]!.top_logprobs).toHaveLength(3);
  });

  it('continuous_usage_stats puts the running usage in every chunk', async () => {
    const r = await post('/v1/completions', { model: MODEL, prompt: 'a b', max_tokens: 3, stream: true, stream_options: { include_usage: true, continuous_usage_stats: true } });
    const ev = await events(r);
    const counts = ev.filter((c) => c['choices'].length > 0).map((c) => c['usage'].completion_tokens as number);
    expect(counts.at(-1)).toBe(3);
    expect([...counts].sort((x, y) => x - y)).toEqual(counts);
  });
});

describe('parameters pdsim serve cannot honour get a 400 (vLLM\'s message where vLLM says the same)', () => {
  it('rejects with vLLM wording', async () => {
    const c = '/v1/completions';
    const chat = '/v1/chat/completions';
    const msgs = [{ role: 'user', content: 'hi' }];
    expect(await error400(c, { model: MODEL, prompt: 'x', suffix: 'y' })).toBe('suffix is not currently supported');
    expect(await error400(c, { model: MODEL, prompt: 'x', logprobs: 25 })).toBe('Requested sample logprobs of 25, which is greater than max allowed: 20');
    expect(await error400(c, { model: MODEL, prompt: 'x', stream_options: { include_usage: true } })).toBe('Stream options can only be defined when `stream=True`.');
    expect(await error400(c, { model: MODEL, prompt: 'x', temperature: -1 })).toBe('temperature must be non-negative, got -1.');
    expect(await error400(c, { model: MODEL, prompt: 'x', top_p: 0 })).toBe('top_p must be in (0, 1], got 0.');
    expect(await error400(c, { model: MODEL, prompt: 'x', n: 0 })).toBe('n must be at least 1, got 0.');
    expect(await error400(c, { model: MODEL, prompt: 'x', max_tokens: 4, min_tokens: 5 })).toBe('min_tokens must be less than or equal to max_tokens=4, got 5.');
    expect(await error400(c, { model: MODEL, prompt: 'x', presence_penalty: 3 })).toBe('presence_penalty must be in [-2, 2], got 3.');
    expect(await error400(chat, { model: MODEL, messages: msgs, top_logprobs: 2 })).toBe('when using `top_logprobs`, `logprobs` must be set to true.');
    expect(await error400(chat, { model: MODEL, messages: msgs, tools: [{ type: 'function', function: { name: 'f' } }] })).toBe(
      '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
    );
    expect(await error400(chat, { model: MODEL, messages: msgs, response_format: { type: 'json_object' } })).toMatch(/structured outputs/);
    expect(await error400(chat, { model: MODEL, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] })).toMatch(/text content parts only/);
  });

  it('accepts the no-effect ones and names them, plus any unknown field', async () => {
    const r = await json('/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1, seed: 3, top_k: 5, user: 'u', response_format: { type: 'text' }, shiny_new_field: 1 });
    expect(r.status).toBe(200);
    expect(r.ignored).toBe('response_format,seed,shiny_new_field,top_k,user');
  });
});
