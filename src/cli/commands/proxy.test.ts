import { describe, expect, it } from 'vitest';
import { proxyCommand, type ProxyCliOptions } from './proxy.js';

const base: ProxyCliOptions = { prefill: 'http://127.0.0.1:8100', decode: 'http://127.0.0.1:8200', host: '127.0.0.1', port: '0', policy: 'round-robin', seed: '0', timeoutS: '5', quiet: true };

describe('pdsim proxy (command)', () => {
  it('starts on loopback and answers /healthz and /health', async () => {
    const l = await proxyCommand(base);
    try {
      expect(l.host).toBe('127.0.0.1');
      // Before the first probe every backend counts as healthy.
      for (const p of ['/healthz', '/health']) expect(await (await fetch(l.url + p)).json()).toMatchObject({ status: 'ok', decode: [{ url: 'http://127.0.0.1:8200', healthy: true }] });
    } finally {
      await l.close();
    }
  });
  it('explains bad policies and URLs', async () => {
    await expect(proxyCommand({ ...base, policy: 'round-robbin' })).rejects.toThrow(/did you mean "round-robin"/);
    await expect(proxyCommand({ ...base, prefill: 'localhost:8100' })).rejects.toThrow(/not an http\(s\) URL/);
  });
});
