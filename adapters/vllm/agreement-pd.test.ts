/**
 * The P/D live path end to end over real sockets (agreement-pd.ts): `pdsim validate` of a 1P1D
 * scenario through `pdsim proxy` in front of two `pdsim serve` backends, each its own process. Both
 * sides measure TTFT as vLLM's proxy client does: the prefill leg's full round trip, D's API-server
 * front end, the KV pull (promptTokens x KV bytes / 25 GB/s, the fixture's P2P bandwidth) and D's
 * 1-token step that samples the first streamed token. What else differs is the live path's own
 * HTTP/SSE time (two legs and a proxy hop) and timer lag, which only ever add to the live side.
 */
import { describe, expect, it } from 'vitest';
import { agreementLines, runPdAgreement } from './agreement-pd.js';

const REQUESTS = 32;

describe('validate a P/D scenario through pdsim proxy (agreement)', () => {
  it('completes every request; simulated and live TTFT (both the decode side\'s first token) agree', async () => {
    const a = await runPdAgreement(REQUESTS);
    console.log(agreementLines(a).join('\n'));
    const r = a.result;
    const m = r.comparison.metrics;
    expect(r.live.completed).toBe(REQUESTS);
    expect(r.live.failed).toBe(0);
    // Like with like: the live TTFT is nearer the simulated client TTFT than the prefill's own
    // first token, the figure simulate used to call TTFT. Live overhead only ever adds, so this
    // holds on a loaded machine too.
    const prefillMedian = ((r.sim.pdsim as Record<string, { median: number }>).prefill_ttft_ms)!.median;
    const live = m['median_ttft_ms']!.measured!;
    const sim = m['median_ttft_ms']!.predicted!;
    expect(sim).toBeGreaterThan(prefillMedian);
    expect(Math.abs(live - sim)).toBeLessThan(Math.abs(live - prefillMedian));
    // Wide bounds, for a loaded machine (four processes, wall-clock timers): the printed figures
    // are what to read, and `npm run agreement:pd` measures them on a quiet one.
    expect(Math.abs(m['median_ttft_ms']!.errorPct!)).toBeLessThan(60);
    expect(Math.abs(m['mean_tpot_ms']!.errorPct!)).toBeLessThan(25);
  }, 120_000);
});
