/**
 * The P/D path over real sockets: two `pdsim serve` (prefill side and decode side) behind
 * `pdsim proxy`, driven by the live client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeBackend } from '../server/fake-backend.js';
import { startSimServer, type SimServer } from '../server/server.js';
import type { Listening } from '../http/listen.js';
import { replay } from '../vllm/replay.js';
import { startProxy, prefillBody } from './proxy.js';

const MODEL = 'm';
let p0: SimServer;
let p1: SimServer;
let d0: SimServer;
let proxy: Listening;

beforeAll(async () => {
  const mk = (): Promise<SimServer> =>
    startSimServer({ backend: createFakeBackend({ prefillBaseMs: 10, prefillMsPerToken: 0.05, itlMs: 5 }), modelName: MODEL, maxModelLen: 8192, kvPullGBps: 1 });
  [p0, p1, d0] = await Promise.all([mk(), mk(), mk()]);
  proxy = await startProxy({ prefill: [p0.url, p1.url], decode: [d0.url], policy: 'round-robin' });
});
afterAll(async () => {
  await proxy.close();
  await Promise.all([p0.close(), p1.close(), d0.close()]);
});

const metric = async (url: string, re: RegExp): Promise<number> => {
  const text = await (await fetch(url + '/metrics')).text();
  return [...text.matchAll(re)].reduce((a, m) => a + Number(m[1]), 0);
};

describe('pdsim proxy (P/D two-leg protocol)', () => {
  it('builds the prefill leg like the toy proxy', () => {
    const b = prefillBody({ model: MODEL, prompt: [1], max_tokens: 9, max_completion_tokens: 9, stream: true, stream_options: { include_usage: true }, min_tokens: 3 });
    expect(b).toMatchObject({ stream: false, max_tokens: 1, max_completion_tokens: 1, kv_transfer_params: { do_remote_decode: true, do_remote_prefill: false } });
    expect(b).not.toHaveProperty('stream_options');
    expect(b).not.toHaveProperty('min_tokens');
  });

  it('serves streamed requests end to end: prefill on P (1 token), decode on D, usage intact', async () => {
    const specs = Array.from({ length: 10 }, (_, i) => ({ id: i, arrivalS: i * 0.02, promptTokens: 200, outputTokens: 6 }));
    const out = await replay(specs, { target: { baseUrl: proxy.url, model: MODEL, api: 'completions', timeoutMs: 5000 }, seed: 1 });
    expect(out.results.every((r) => r.success && r.outputTokens === 6 && r.usagePromptTokens === 200)).toBe(true);
    // Round-robin over two prefill servers: 5 each, one token each; decode server made all 60 tokens.
    for (const p of [p0, p1]) expect(await metric(p.url, /^vllm:generation_tokens_total\{[^}]*\} (\d+)/gm)).toBe(5);
    expect(await metric(d0.url, /^vllm:generation_tokens_total\{[^}]*\} (\d+)/gm)).toBe(60);
    // D skipped prefill compute: its prompt-token counter stays at 0.
    expect(await metric(d0.url, /^vllm:prompt_tokens_total\{[^}]*\} (\d+)/gm)).toBe(0);
    const m = await (await fetch(proxy.url + '/metrics')).text();
    expect(m).toMatch(/^pdsim_proxy:prefill_leg_seconds_count\{backend="http:\/\/127\.0\.0\.1:\d+"\} 5$/m);
    expect(m).toMatch(/^pdsim_proxy:decode_first_byte_seconds_count\{.*\} 10$/m);
    expect(m).toMatch(/^pdsim_proxy:requests_total\{outcome="ok"\} 10$/m);
  });

  it('passes errors through, and answers /v1/models and /healthz', async () => {
    const r = await fetch(proxy.url + '/v1/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'nope', prompt: [1], max_tokens: 2 }) });
    expect(r.status).toBe(404);
    expect(((await (await fetch(proxy.url + '/v1/models')).json()) as { data: { id: string }[] }).data[0]!.id).toBe(MODEL);
    expect((await fetch(proxy.url + '/healthz')).status).toBe(200);
  });

  it('answers 502 when a prefill server is down', async () => {
    const dead = await startProxy({ prefill: ['http://127.0.0.1:9'], decode: [d0.url] });
    try {
      const r = await fetch(dead.url + '/v1/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, prompt: [1], max_tokens: 2 }) });
      expect(r.status).toBe(502);
    } finally {
      await dead.close();
    }
  });
});
