/**
 * Scaled-down load test (npm run loadtest is the full 5,000 / 2,000): 300 concurrent streams on
 * `pdsim serve` all complete; 100 through `pdsim proxy` with a decode server killed mid-run are
 * every one accounted for, the cut ones with a reason, and the dead server is ejected.
 */
import { describe, expect, it } from 'vitest';
import { proxyLoad, serveLoad } from './load.js';

describe('load over loopback', () => {
  it('serve holds 300 concurrent streams, every one completed', async () => {
    const r = await serveLoad(300, 256);
    expect(r.reasons).toEqual({});
    expect(r.completed).toBe(300);
    // Wide bound: most streams overlap (each lasts 256 tokens); a slow machine only lengthens them.
    expect(r.peakConcurrent).toBeGreaterThan(150);
  }, 240_000);

  it('proxy with one of two decode servers killed mid-run: every request accounted for, the dead one ejected', async () => {
    const r = await proxyLoad(100);
    expect(r.completed + r.failed).toBe(100);
    for (const reason of Object.keys(r.reasons)) expect(reason).toMatch(/stream cut|HTTP 50[23]|connection/);
    // Only streams in flight on the killed server can fail; the rest go to the live one.
    expect(r.completed).toBeGreaterThanOrEqual(50);
    expect(r.killedHealthy).toBe(false);
  }, 240_000);
});
