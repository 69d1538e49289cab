/**
 * The P/D agreement measurement shared by adapters/vllm/agreement-pd.test.ts and
 * `npm run agreement:pd`: `pdsim validate` of a 1P1D scenario through `pdsim proxy` in front of
 * two `pdsim serve` backends, every one its own process (as in real use: a proxy inside the
 * measuring client would add its event-loop time to the client's timestamps). Both sides define
 * TTFT as vLLM's proxy client sees it: P's whole round trip, D's front end, the KV pull, and D's
 * first streamed token.
 */
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnCli, type ChildServer } from '../testing/child.js';
import { runValidate, type ValidateResult } from './validate-run.js';

export const PD_SCENARIO = 'adapters/testing/fixtures/agreement-pd.yaml';
/** What each backend serves: the same model, GPU and engine as one pool of the P/D scenario. */
export const PD_BACKEND = 'adapters/testing/fixtures/agreement.yaml';

export interface PdAgreement {
  result: ValidateResult;
  /** The 1-, 5- and 15-minute load averages when the run ended (wall-clock figures are pessimistic under load). */
  loadAverage: number[];
}

/**
 * `speed`: the backends' --speed (validate scales what it measures back to simulated time), so a
 * slowed run shrinks the live path's wall-clock overhead, in simulated time, by that factor.
 */
export async function runPdAgreement(requests: number, speed = 1, out = mkdtempSync(join(tmpdir(), 'pdsim-validate-pd-'))): Promise<PdAgreement> {
  const started: ChildServer[] = [];
  try {
    const [p, d] = await Promise.all([0, 1].map(() => spawnCli(['serve', PD_BACKEND, '--port', '0', '--speed', String(speed), '--quiet'], 60_000)));
    started.push(p!, d!);
    const proxy = await spawnCli(['proxy', '--prefill', p!.url, '--decode', d!.url, '--port', '0', '--quiet'], 60_000);
    started.push(proxy);
    const result = await runValidate(PD_SCENARIO, { out, endpoint: proxy.url, requests, speed });
    return { result, loadAverage: loadavg() };
  } finally {
    await Promise.all(started.map((s) => s.close()));
  }
}

/** The lines worth reading: simulated vs live for the headline metrics, with their signed errors. */
export function agreementLines(a: PdAgreement): string[] {
  const m = a.result.comparison.metrics;
  const keys = ['median_ttft_ms', 'mean_ttft_ms', 'mean_tpot_ms', 'mean_e2el_ms'];
  const prefill = (a.result.sim.pdsim as Record<string, { median: number } | undefined>)['prefill_ttft_ms']?.median;
  return [
    ...keys.map((k) => `${k.padEnd(15)} sim ${m[k]!.predicted?.toFixed(1).padStart(8)}  live ${m[k]!.measured?.toFixed(1).padStart(8)}  error ${m[k]!.errorPct?.toFixed(1).padStart(6)} %`),
    `median prefill-side TTFT (sim, the prefill's own token): ${prefill?.toFixed(1)} ms`,
    `completed ${a.result.live.completed}, failed ${a.result.live.failed}; load average ${a.loadAverage.map((x) => x.toFixed(2)).join(' ')}`,
  ];
}

/**
 * Live minus simulated at two speeds splits the gap: at speed s the live side measures (in
 * simulated ms) model gap + s x wall-clock overhead (HTTP hops, timer lag, a busy CPU), so
 * model gap = (s1 gap2 - s2 gap1) / (s1 - s2) and overhead = (gap1 - gap2) / (s1 - s2).
 */
export function splitGap(s1: number, gap1Ms: number, s2: number, gap2Ms: number): { modelMs: number; wallOverheadMs: number } {
  return { modelMs: (s1 * gap2Ms - s2 * gap1Ms) / (s1 - s2), wallOverheadMs: (gap1Ms - gap2Ms) / (s1 - s2) };
}
