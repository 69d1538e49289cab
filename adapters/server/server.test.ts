import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeBackend } from './fake-backend.js';
import { startSimServer, type SimServer } from './server.js';

let server: SimServer;
const MODEL = 'sim-model';
const KEY = 'sk-test-secret';
const logLines: string[] = [];

beforeAll(async () => {
  server = await startSimServer({
    backend: createFakeBackend({ prefillBaseMs: 5, prefillMsPerToken: 0.01, itlMs: 5 }),
    modelName: MODEL,
    maxModelLen: 2048,
    apiKey: KEY,
    maxBodyBytes: 64 * 1024,
    log: (l) => logLines.push(l),
  });
});
afterAll(async () => server.close());

const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });

/** The `data:` payloads of an SSE body. */
const events = (text: string): string[] =>
  text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6));

describe('pdsim serve HTTP surface', () => {
  it('binds loopback and answers /health, /version, /v1/models', async () => {
    expect(server.host).toBe('127.0.0.1');
    const h = await fetch(server.url + '/health');
    expect(h.status).toBe(200);
    expect(await h.text()).toBe('');
    expect(await (await fetch(server.url + '/version')).json()).toHaveProperty('version');
    const models = (await (await fetch(server.url + '/v1/models', { headers: { authorization: `Bearer ${KEY}` } })).json()) as {
      data: { id: string; max_model_len: number }[];
    };
    expect(models.data[0]).toMatchObject({ id: MODEL, max_model_len: 2048 });
  });

  it('streams completions in vLLM shape with a final usage chunk and [DONE]', async () => {
    const r = await post('/v1/completions', {
      model: MODEL, prompt: [1, 2, 3, 4, 5], max_tokens: 4, ignore_eos: true, stream: true, stream_options: { include_usage: true },
    });
    expect(r.headers.get('content-type')).toMatch(/text\/event-stream/);
    const ev = events(await r.text());
    expect(ev.at(-1)).toBe('[DONE]');
    const chunks = ev.slice(0, -1).map((e) => JSON.parse(e) as { object: string; choices: { text: string; finish_reason: string | null }[]; usage?: unknown });
    expect(chunks).toHaveLength(5);
    expect(chunks[0]!.object).toBe('text_completion');
    expect(chunks.slice(0, 4).map((c) => c.choices[0]!.finish_reason)).toEqual([null, null, null, 'length']);
    expect(chunks[4]!.choices).toEqual([]);
    expect(chunks[4]!.usage).toEqual({ prompt_tokens: 5, total_tokens: 9, completion_tokens: 4 });
  });

  it('streams chat with a role chunk first, and answers non-streamed chat', async () => {
    const r = await post('/v1/chat/completions', {
      model: MODEL, messages: [{ role: 'user', content: 'a b c' }], max_completion_tokens: 2, stream: true, stream_options: { include_usage: true },
    });
    const chunks = events(await r.text()).slice(0, -1).map((e) => JSON.parse(e) as { choices: { delta: Record<string, string> }[]; usage?: { prompt_tokens: number } });
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.at(-1)!.usage!.prompt_tokens).toBe(3);
    const j = (await (await post('/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: 3 })).json()) as {
      object: string; usage: { completion_tokens: number }; choices: { message: { content: string } }[];
    };
    expect(j.object).toBe('chat.completion');
    expect(j.usage.completion_tokens).toBe(3);
  });

  it('rejects a wrong model (404), a too-long request (400), a missing key (401) and an oversized body (413)', async () => {
    const wrong = await post('/v1/completions', { model: 'other', prompt: [1], max_tokens: 1 });
    expect(wrong.status).toBe(404);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toMatch(/does not exist/);
    const long = await post('/v1/completions', { model: MODEL, prompt: [1, 2], max_tokens: 2047 });
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: { message: string } }).error.message).toMatch(/maximum context length is 2048/);
    expect((await post('/v1/completions', { model: MODEL, prompt: [1] }, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post('/v1/completions', { model: MODEL, prompt: new Array(40000).fill(1) })).status).toBe(413);
    expect(logLines.join('\n')).not.toContain(KEY);
  });

  it('runs the P/D prefill leg and the decode leg with kv_transfer_params', async () => {
    const pre = (await (
      await post('/v1/completions', {
        model: MODEL, prompt: new Array(40).fill(7), max_tokens: 1, stream: false,
        kv_transfer_params: { do_remote_decode: true, do_remote_prefill: false, remote_engine_id: null, remote_block_ids: null, remote_host: null, remote_port: null },
      })
    ).json()) as { usage: { completion_tokens: number }; kv_transfer_params: Record<string, unknown> };
    expect(pre.usage.completion_tokens).toBe(1);
    expect(pre.kv_transfer_params).toMatchObject({ do_remote_prefill: true, do_remote_decode: false, remote_host: '127.0.0.1', remote_port: server.port, tp_size: 1 });
    expect(pre.kv_transfer_params['remote_block_ids']).toHaveLength(3); // 40 tokens / 16-token blocks
    const dec = await post('/v1/completions', {
      model: MODEL, prompt: new Array(40).fill(7), max_tokens: 3, stream: true, stream_options: { include_usage: true }, kv_transfer_params: pre.kv_transfer_params,
    });
    const ev = events(await dec.text());
    expect(JSON.parse(ev.at(-2)!)).toMatchObject({ usage: { completion_tokens: 3 } });
  });

  it('exposes vLLM metric names, including cache_config_info and _total counters', async () => {
    const text = await (await fetch(server.url + '/metrics')).text();
    expect(text).toMatch(/^vllm:cache_config_info\{model_name="sim-model",engine="0",block_size="16",num_gpu_blocks="4096",cache_dtype="auto"\} 1$/m);
    expect(text).toMatch(/^vllm:generation_tokens_total\{model_name="sim-model",engine="0"\} \d+$/m);
    expect(text).toMatch(/^vllm:time_to_first_token_seconds_count\{.*\} [1-9]\d*$/m);
    expect(text).toMatch(/^vllm:kv_cache_usage_perc\{/m);
    expect(text).toMatch(/^vllm:request_success_total\{.*finished_reason="length"\} [1-9]/m);
  });
});
