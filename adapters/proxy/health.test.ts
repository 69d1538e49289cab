/**
 * Proxy under faults, over real loopback sockets: a decode server killed mid-run is ejected (by the
 * failed request itself or the next probe) and its share goes to the live one, every request still
 * completing; a dead role makes /health and /healthz answer 503 and requests get 503 with a reason;
 * an ejected backend that comes back is readmitted after its back-off.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createFakeBackend } from '../server/fake-backend.js';
import { startSimServer, type SimServer } from '../server/server.js';
import type { Listening } from '../http/listen.js';
import { startProxy } from './proxy.js';
import { backendsOf, HealthTracker } from './health.js';

const mk = (port = 0): Promise<SimServer> =>
  startSimServer({ backend: createFakeBackend({ prefillBaseMs: 2, prefillMsPerToken: 0.01, itlMs: 2 }), modelName: 'm', maxModelLen: 4096, kvPullGBps: 100, port });
const open: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of open) await s.close().catch(() => undefined);
});

async function stream(url: string, maxTokens = 8): Promise<{ ok: boolean; status: number; tokens: number; reason?: string }> {
  try {
    const r = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', prompt: [1, 2, 3, 4], max_tokens: maxTokens, stream: true, ignore_eos: true }) });
    const text = await r.text();
    const tokens = text.split('\n').filter((l) => l.startsWith('data: {') && l.includes('"text"')).length;
    return { ok: r.ok && text.includes('data: [DONE]'), status: r.status, tokens, reason: r.ok ? undefined : text.slice(0, 200) };
  } catch (e) {
    return { ok: false, status: 0, tokens: 0, reason: (e as Error).message };
  }
}

describe('proxy health checks, ejection and back-off', () => {
  it('ejects a killed decode server and keeps serving every request on the other', async () => {
    const [p0, d0, d1] = await Promise.all([mk(), mk(), mk()]);
    open.push(p0, d0);
    const proxy: Listening = await startProxy({ prefill: [p0.url], decode: [d0.url, d1.url], health: { intervalMs: 100, initialBackoffMs: 200 } });
    open.push(proxy);
    const first = await Promise.all(Array.from({ length: 20 }, () => stream(proxy.url)));
    expect(first.every((r) => r.ok && r.tokens === 8)).toBe(true);
    await d1.close();
    const after = await Promise.all(Array.from({ length: 40 }, () => stream(proxy.url)));
    expect(after.filter((r) => !r.ok)).toEqual([]);
    const h = (await (await fetch(`${proxy.url}/healthz`)).json()) as { status: string; decode: { url: string; healthy: boolean }[] };
    expect(h.status).toBe('ok');
    expect(h.decode.find((d) => d.url === d1.url)?.healthy).toBe(false);
    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`pdsim_proxy:ejections_total\\{backend="${d1.url}"\\} 1`));
  }, 60_000);

  it('answers 503 from /health, /healthz and requests when a role has no healthy server, and readmits it after back-off', async () => {
    const [p0, d0] = await Promise.all([mk(), mk()]);
    open.push(d0);
    const port = p0.port;
    const proxy = await startProxy({ prefill: [p0.url], decode: [d0.url], health: { intervalMs: 100, initialBackoffMs: 100, maxBackoffMs: 400 } });
    open.push(proxy);
    expect((await stream(proxy.url)).ok).toBe(true);
    await p0.close();
    const failed = await stream(proxy.url);
    expect(failed.ok).toBe(false);
    expect([502, 503]).toContain(failed.status);
    for (const p of ['/health', '/healthz']) {
      const r = await fetch(proxy.url + p);
      expect(r.status).toBe(503);
      expect(((await r.json()) as { status: string }).status).toBe('unavailable');
    }
    const refused = await stream(proxy.url);
    expect(refused.status).toBe(503);
    expect(refused.reason).toMatch(/no healthy prefill server/);
    // The same prefill server comes back: a probe after the back-off readmits it.
    const again = await mk(port);
    open.push(again);
    const deadline = Date.now() + 10_000;
    while ((await fetch(proxy.url + '/health')).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(proxy.url + '/healthz')).status).toBe(200);
    expect((await stream(proxy.url)).ok).toBe(true);
  }, 60_000);

  it('ejects at once on a refused connection, after 3 soft failures otherwise, and never the last healthy backend for slowness', () => {
    const two = new HealthTracker([...backendsOf(['http://a', 'http://b'], 'decode')]);
    const [a, b] = two.backends as [ReturnType<typeof backendsOf>[number], ReturnType<typeof backendsOf>[number]];
    two.fail(a, 'timeout', true);
    two.fail(a, 'timeout', true);
    expect(a.healthy).toBe(true);
    two.fail(a, 'timeout', true);
    expect(a.healthy).toBe(false);
    for (let i = 0; i < 5; i++) two.fail(b, 'timeout', true);
    expect(b.healthy).toBe(true); // the last one standing
    two.fail(b, 'ECONNREFUSED');
    expect(b.healthy).toBe(false);
    expect(b.backoffMs).toBe(500);
    two.fail(b, 'ECONNREFUSED');
    expect(b.backoffMs).toBe(1000); // back-off doubles while it stays down
    two.ok(b);
    expect([b.healthy, b.backoffMs]).toEqual([true, 0]);
  });
});
