/**
 * End-to-end accuracy against public real-vLLM measurements (models/data/e2e/vllm-measurements.json):
 * each row is re-predicted with the commands a user would run, and the error reported. The
 * markdown goes into docs/accuracy.md between the e2e markers (`pdsim calibrate --e2e`; a test
 * keeps it current).
 *
 * How each kind is predicted:
 * - static (`vllm bench latency`): `pdsim latency` with the row's model, GPU, TP, version, lengths.
 * - fp8-kv-decode-ratio: decode tokens/s with `--kv-cache-dtype fp8` over bf16 at one context
 *   (the inverse ratio of two `pdsim perf` decode steps).
 * - closed-loop (`vllm bench serve --max-concurrency C --request-rate inf`, fixed lengths) and
 *   poisson (`--request-rate R`): `pdsim simulate` of the same bench (workload.maxConcurrency or a
 *   Poisson arrival rate, fixed lengths, the row's prompt count and server flags), whose summary
 *   gives the bench's median/mean TTFT, ITL and TPOT; one simulation serves every row of its run.
 */
import { readFileSync } from 'node:fs';
import { MemoryRecordWriter } from '../run/record-writer.js';
import { runSimulationSync } from '../run/simulation.js';
import { resolveScenario } from '../scenario/load.js';
import { runLatency } from './commands/latency.js';
import { runPerf } from './commands/perf.js';

export interface E2eMeasurement {
  id: string;
  kind: 'static' | 'closed-loop' | 'poisson' | 'fp8-kv-decode-ratio';
  source: string;
  gpu: string;
  model: string;
  tp: number;
  vllmVersion: string;
  versionNote?: string;
  batchSize?: number;
  concurrency?: number;
  /** poisson rows: `--request-rate` (req/s). */
  requestRate?: number;
  /** `--num-prompts` (default: 20 x concurrency, at least 100). */
  numPrompts?: number;
  /** Server flags the row states (`--max-model-len`, `--gpu-memory-utilization`). */
  maxModelLen?: number;
  gpuMemoryUtilization?: number;
  inputLen: number;
  outputLen: number;
  metric: 'avg_latency_ms' | 'median_itl_ms' | 'median_ttft_ms' | 'mean_ttft_ms' | 'median_tpot_ms' | 'mean_tpot_ms' | 'decode_speedup_ratio';
  measured: number;
  fitted?: boolean;
}

export interface E2eRow extends E2eMeasurement {
  predicted: number;
  errorPct: number;
}

export const E2E_FILE = new URL('../../models/data/e2e/vllm-measurements.json', import.meta.url);

export function loadE2e(file: URL | string = E2E_FILE): E2eMeasurement[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { measurements: E2eMeasurement[] }).measurements;
}

export function predict(m: E2eMeasurement, modelsDir?: string): number {
  const common = { model: m.model, gpu: m.gpu, tp: String(m.tp), vllmVersion: m.vllmVersion, modelsDir };
  if (m.kind === 'static') {
    return runLatency({ ...common, batchSize: String(m.batchSize), inputLen: String(m.inputLen), outputLen: String(m.outputLen) }).avg_latency_s * 1000;
  }
  if (m.kind === 'fp8-kv-decode-ratio') {
    // Decode tokens/s with an fp8 KV cache over bf16: the inverse ratio of the step times.
    const step = (kv?: string) => runPerf({ ...common, decodeBatch: String(m.concurrency ?? 1), context: String(m.inputLen), ...(kv ? { kvCacheDtype: kv } : {}) }).totalMs;
    return step() / step('fp8');
  }
  return servingSummary(m, modelsDir)[m.metric] as number;
}

// One simulated bench run per (model, GPU, version, load, lengths, flags): its TTFT and ITL rows share it.
const servingRuns = new Map<string, Record<string, unknown>>();

/** `vllm bench serve` as `pdsim simulate` runs it: the summary.json of the simulated bench. */
export function servingSummary(m: E2eMeasurement, modelsDir?: string): Record<string, unknown> {
  const c = m.kind === 'closed-loop' ? (m.concurrency ?? 1) : undefined;
  const requests = m.numPrompts ?? Math.max(100, 20 * (c ?? 5));
  const raw = {
    name: 'e2e',
    model: m.model,
    engine: { vllmVersion: m.vllmVersion, ...(m.maxModelLen ? { maxModelLen: m.maxModelLen } : {}), ...(m.gpuMemoryUtilization ? { gpuMemoryUtilization: m.gpuMemoryUtilization } : {}) },
    deployment: { pools: [{ gpu: m.gpu, tp: m.tp }] },
    workload: {
      requests,
      ...(c !== undefined ? { maxConcurrency: c } : {}),
      arrival: c !== undefined ? { process: 'all-at-once' } : { process: 'poisson', rate: m.requestRate },
      input: { dist: 'fixed', value: m.inputLen },
      output: { dist: 'fixed', value: m.outputLen },
    },
  };
  const key = JSON.stringify([raw, modelsDir]);
  let s = servingRuns.get(key);
  if (!s) {
    const scenario = resolveScenario(raw, `${m.id}.yaml`, undefined, modelsDir);
    s = runSimulationSync({ scenario, file: `${m.id}.yaml`, baseDir: '.' }, { writer: new MemoryRecordWriter(), modelsDir }).summary as Record<string, unknown>;
    servingRuns.set(key, s);
  }
  return s;
}

export function e2eRows(ms: readonly E2eMeasurement[] = loadE2e()): E2eRow[] {
  return ms.map((m) => {
    const predicted = predict(m);
    return { ...m, predicted, errorPct: (100 * (predicted - m.measured)) / m.measured };
  });
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (i - lo);
}

export interface E2eSummary {
  kind: string;
  n: number;
  medianAbsPct: number;
  p90AbsPct: number;
}

/** Serving rows pool by what the target names (TTFT; TPOT, whose median ITL is the same decode step); others by kind and metric. */
function summaryGroup(r: E2eMeasurement): string {
  if (r.kind !== 'closed-loop' && r.kind !== 'poisson') return `${r.kind} ${r.metric}`;
  return r.metric.endsWith('ttft_ms') ? 'serving TTFT' : 'serving TPOT/ITL';
}

/** Median and p90 |error| of the held-out rows, by kind. */
export function e2eSummary(rows: readonly E2eRow[]): E2eSummary[] {
  const kinds = [...new Set(rows.map(summaryGroup))];
  return kinds
    .map((k) => {
      const errs = rows.filter((r) => !r.fitted && summaryGroup(r) === k).map((r) => Math.abs(r.errorPct));
      return { kind: k, n: errs.length, medianAbsPct: quantile(errs, 0.5), p90AbsPct: quantile(errs, 0.9) };
    })
    .filter((s) => s.n > 0);
}

export const E2E_BEGIN = '<!-- e2e:begin (generated by `npx pdsim calibrate --e2e`; do not edit by hand) -->';
export const E2E_END = '<!-- e2e:end -->';

export function e2eMarkdown(rows: readonly E2eRow[] = e2eRows()): string {
  const f = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2));
  const lines = [
    E2E_BEGIN,
    '## End to end: real vLLM, predicted',
    '',
    'Public measurements of real vLLM (`models/data/e2e/vllm-measurements.json`, each with its source and the quoted figures), re-predicted by `src/cli/e2e.ts`: static batches with `pdsim latency` at the row\'s vLLM version (bench latency\'s offline defaults); serving benches by simulating them (`pdsim simulate` with the bench\'s `--max-concurrency` closed loop or `--request-rate` Poisson arrivals, fixed lengths, the stated server flags), whose summary gives median/mean TTFT, ITL and TPOT as `vllm bench serve` reports them. Error = (predicted - measured) / measured. Only the row marked *fitted* was used to set a constant (the V1 front-end cost, src/perf/front-end.ts); every other row is held out: the perf model was fitted on operator tables, the step overhead on vidur\'s V0 table and published V1 figures (src/perf/step-overhead.ts), none of them these runs.',
    '',
    '| measurement | GPU | model | TP | vLLM | shape | metric | measured | pdsim | error |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const shape = r.kind === 'static' ? `batch ${r.batchSize}, ${r.inputLen} in / ${r.outputLen} out` : r.kind === 'poisson' ? `Poisson ${r.requestRate} req/s, ${r.inputLen} in / ${r.outputLen} out` : r.kind === 'fp8-kv-decode-ratio' ? `batch 1, context ${r.inputLen}, fp8 vs bf16 KV` : `concurrency ${r.concurrency}, ${r.inputLen} in / ${r.outputLen} out`;
    lines.push(`| [${r.id}](${r.source.split(' ')[0]})${r.fitted ? ' *fitted*' : ''} | ${r.gpu} | ${r.model} | ${r.tp} | ${r.vllmVersion} | ${shape} | ${r.metric} | ${f(r.measured)} | ${f(r.predicted)} | ${r.errorPct >= 0 ? '+' : ''}${r.errorPct.toFixed(1)}% |`);
  }
  lines.push('', '| held out | n | median abs error | p90 abs error |', '|---|---|---|---|');
  for (const s of e2eSummary(rows)) lines.push(`| ${s.kind} | ${s.n} | ${s.medianAbsPct.toFixed(1)}% | ${s.p90AbsPct.toFixed(1)}% |`);
  lines.push('', E2E_NOTES, E2E_END, '');
  return lines.join('\n');
}

const E2E_NOTES = [
  'What the errors are attributed to:',
  '- The dashboard rows (vLLM\'s own CI, load_format dummy, batch 8 x 32 in / 128 out) are decode-bound: 128 decode steps of 8 sequences, so they test HBM efficiency of the weight reads and the per-step CPU overhead (V0 at 0.6.x: 0.77 ms + 0.027 ms per sequence with the async output processor). The pages print no version; builds 95xx ran in September 2024, so 0.6.1 is predicted (0.5.x would add about 4% of V0 output processing).',
  '- issue12315 is a user who could not reproduce the dashboard\'s A100 70B figure on their own 4 x A100 (4.95 s against the dashboard\'s 3.99 s); pdsim predicts the dashboard\'s machine (SXM, NVLink). Its miss is the unknown machine, not the engine.',
  '- Serving TTFT, held out (6 rows: L4 closed loop at concurrency 2-32, H100 Poisson at 16 req/s): median |error| 17.1%, p90 29.2% (last round 21.9% / 35.9%); 5 of 6 rows low (concurrency 8 by 0.5%), the 15% target is still missed. Two changes, each with its own source and neither fitted on these rows: (1) async scheduling (on from vLLM 0.14): EngineCore.step_with_batch_queue schedules step N+1 when N launches (a 2-deep batch queue), so a request reaching a busy engine waits for the rest of the step in flight and the whole next step before its prefill (src/serving/instance.ts); alone it moves the median little (21.9% / 33.4%: c=32 -11.5% to -7.4%, H100 -39.4% to -34.3%), because the closed-loop bench with fixed lengths runs in waves that reach an idle engine together. (2) The L4 profile\'s sustained GEMM efficiency, 0.47 of peak from a public BF16 matmul measurement (57.1 of 121 TFLOPS at 4096-10240, models/gpu/l4.json) instead of an unmeasured 0.60: the waves\' batched prefills (8 x 256 tokens per 2048-token step) are compute-bound, the concurrency-1 prefill is not (it stays at 8.09 ms, so the fitted front-end constant stands). The one fitted constant is the front-end cost at concurrency 1 on the L4 host (18.9 ms).',
  '- Serving TTFT, what is left: the L4 rows at concurrency 2, 4 and 16 are 16-24% low. A serial API server (one process, one CPU: vllm#12705) was tried and not adopted: with 1-10 ms of each request\'s front end made a FIFO queue, and 0.05-0.2 ms per streamed token competing for the same CPU, no setting improved both the median and the p90 (measured with (1), before (2): 21.9% / 33.4% without it; 2 ms alone 22.2% / 31.8%; 5 ms alone 31.6% / 44.5%; the best median, 5 ms + 0.2 ms per token, 20.1% / 41.9% with concurrency 32 at +44%), because spreading a wave\'s arrivals breaks up its batched prefill; no source gives either cost, so the front end stays one fixed delay. The real bench also has jitter the simulation lacks (its TTFT p95 at concurrency 2 is 48.2 ms against a p50 of 37.8; the simulated waves stay in lock step). The H100 row (vLLM 0.19, another host; its 512-token prefill takes about 2 ms) implies a front end near 32 ms there: the front end depends on the host CPU, which no profile describes, and a mean TTFT includes any slow outliers.',
  '- Serving TPOT/ITL, held out (8 rows): median |error| 5.9%, p90 12.6%. The L4 rows (Qwen2.5-0.5B) run on an uncalibrated L4 profile (datasheet peaks, efficiencies transferred from Ampere/Hopper fits); a 0.5B model\'s decode step is dominated by launch latencies and the LM head, and the miss grows with concurrency (decode attention and per-sequence costs at batch 32 are under-predicted). The H100 Qwen3-0.6B TPOT is 11% low; its q/k norms are not modelled.',
  '- musgrave A100-40GB: pdsim is 16% slow. The 40 GB card\'s memory efficiencies are no longer the 80 GB fit\'s: they are scaled by 0.976, the ratio of a plain copy\'s fraction of the datasheet bandwidth measured on HBM2 (A100-SXM4-40GB, 1355 of 1555 GB/s) and on HBM2e (A800 80GB PCIe, 1727 of 1935 GB/s) (src/calibrate/datasets.ts, TRANSFERS; two harnesses, no HBM2 operator table exists). That relation makes the 40 GB card slightly slower per byte (the row was 14% slow before it), so it does not explain the miss; the author\'s "about 75 tokens/sec" (77% of the 40 GB card\'s bandwidth for the whole step) says the card reaches more of its HBM than the 80 GB fit does. Not refitted on one rounded figure.',
  '- The fp8 KV rows check the KV-dtype model alone (vLLM\'s docs: decode speed-up grows with context as KV reads take a larger share of the step); pdsim reads half the KV bytes and nothing else changes, which matches to within 2%. Qwen3-4B\'s q/k norms are not modelled, which cancels in the ratio.',
  '- 4-bit weights (no end-to-end row): Marlin\'s README (github.com/IST-DASLab/marlin) reports close to ideal (4x) GEMM speed-ups over fp16 up to batch 16-32. pdsim\'s AWQ/GPTQ-Marlin GEMMs compute at the GPU\'s large-batch GEMM efficiency (the bf16 curve\'s small-row values were fitted on cuBLAS GEMMs that are memory-bound there): Llama-3.1-70B on A100, linear layers at batch 1 / 16 / 32 / 64 / 128: 3.68x / 3.66x / 3.63x / 2.21x / 1.33x over bf16 (was 2.37x / 2.38x / 1.89x / 1.34x / 1.00x); the whole decode step 3.07x at batch 1. Plain `awq`/`gptq` (not Marlin) keep the fp16 curve (about 2.4x). No published Marlin kernel timing table was at hand to fit it on.',
  '- Not found: a public T4 serving sweep. Searched vLLM issues and PRs, blogs and benchmark pages: the T4 figures found are a contest write-up (Qwen2.5-0.5B, vLLM 0.15.1, 512 in / 512 out at concurrency 50) that gives only its tuned results, and llmfit community rows (throughput only, no TTFT). The H100 Qwen3-0.6B row (kvcached PR 331) is the only held-out open-loop serving measurement; its rate=inf rows are not used (500 requests at once under kvcached\'s layout experiments; the averaged statistic is not named). Searched again this round (vLLM issues and PRs, blogs): ray#59681 (bare `vllm serve` 0.22, Qwen2.5-0.5B, p50 TTFT 16.9 / 35.0 / 84.1 ms at concurrency 1 / 8 / 32) is on an RTX 5050, which has no profile; the InferenceBench H100 sweeps (yobitelcomm/bench) use their own client and a dataset whose lengths are not given; the tenstorrent sweeps are not NVIDIA GPUs. None was added.',
].join('\n');

/** Replaces (or appends) the e2e section of a markdown document. */
export function withE2eSection(doc: string, section: string = e2eMarkdown()): string {
  const a = doc.indexOf(E2E_BEGIN);
  const b = doc.indexOf(E2E_END);
  if (a >= 0 && b > a) return doc.slice(0, a) + section + doc.slice(b + E2E_END.length + 1);
  return `${doc.trimEnd()}\n\n${section}`;
}
