/** `pdsim serve` safety over loopback: both health paths, API key (constant-time compare), /tokenize caps, exposure warning. */
import { describe, expect, it } from 'vitest';
import { createFakeBackend } from './fake-backend.js';
import { startSimServer } from './server.js';

const start = (o: { apiKey?: string; host?: string; warn?: (s: string) => void } = {}) =>
  startSimServer({ backend: createFakeBackend(), modelName: 'm', maxModelLen: 1000, ...o });

describe('serve: health, keys, /tokenize, exposure', () => {
  it('answers /health and /healthz', async () => {
    const s = await start();
    try {
      for (const p of ['/health', '/healthz']) expect((await fetch(s.url + p)).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('checks the key on /v1/* and /tokenize: right key 200, wrong or other-length key 401', async () => {
    const s = await start({ apiKey: 'sekret-key' });
    try {
      const tok = (auth?: string) => fetch(`${s.url}/tokenize`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify({ prompt: 'a b c' }) });
      expect((await tok()).status).toBe(401);
      expect((await tok('Bearer sekret-kez')).status).toBe(401);
      expect((await tok('Bearer s')).status).toBe(401);
      expect((await tok(`Bearer ${'x'.repeat(5000)}`)).status).toBe(401);
      expect((await tok('Bearer sekret-key')).status).toBe(200);
      expect((await fetch(`${s.url}/v1/models`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
      expect((await fetch(`${s.url}/health`)).status).toBe(200); // probes need no key, as in vLLM
    } finally {
      await s.close();
    }
  });

  it('caps /tokenize: no echo of more ids than a context, ids must be token ids, bodies capped', async () => {
    const s = await start();
    try {
      const tok = (body: unknown) => fetch(`${s.url}/tokenize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const ok = await tok({ prompt: [1, 2, 3] });
      expect(await ok.json()).toMatchObject({ count: 3, tokens: [1, 2, 3] });
      const long = await tok({ prompt: Array.from({ length: 1001 }, (_, i) => i) });
      expect(long.status).toBe(400);
      expect(await long.text()).toMatch(/maximum context length is 1000 tokens/);
      expect((await tok({ prompt: [1, 'x'] })).status).toBe(400);
      expect((await tok({ prompt: Array.from({ length: 1_500_000 }, () => 1) })).status).toBe(413);
    } finally {
      await s.close();
    }
  });

  it('counts a client that disconnects mid-stream as aborted in /metrics', async () => {
    const s = await start();
    try {
      const ac = new AbortController();
      const r = await fetch(`${s.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', prompt: [1, 2], max_tokens: 500, stream: true }), signal: ac.signal });
      const reader = r.body!.getReader();
      await reader.read();
      ac.abort();
      const deadline = Date.now() + 5000;
      let text = '';
      while (Date.now() < deadline && !/finished_reason="abort"\} 1/.test(text)) {
        await new Promise((res) => setTimeout(res, 50));
        text = await (await fetch(`${s.url}/metrics`)).text();
      }
      expect(text).toMatch(/vllm:request_success_total\{[^}]*finished_reason="abort"\} 1/);
    } finally {
      await s.close();
    }
  });

  it('warns when bound beyond loopback without a key, and not on loopback or with a key', async () => {
    const lines: string[] = [];
    const warn = (l: string) => lines.push(l);
    for (const o of [{ host: '0.0.0.0' }, { host: '127.0.0.1' }, { host: '0.0.0.0', apiKey: 'k' }]) {
      const s = await start({ ...o, warn });
      await s.close();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/warning: listening on http:\/\/0\.0\.0\.0:\d+, reachable beyond this machine, without an API key/);
  });
});
