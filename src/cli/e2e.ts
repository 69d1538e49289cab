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
 * - closed-loop (`vllm bench serve --max-concurrency C --request-rate inf`, fixed lengths),
 *   poisson (`--request-rate R`) and constant (GuideLLM's `constant` strategy: evenly spaced
 *   arrivals at R req/s): `pdsim simulate` of the same bench (workload.maxConcurrency, a Poisson or
 *   constant arrival rate, fixed lengths, the row's prompt count and server flags), whose summary
 *   gives the bench's median/mean TTFT, ITL and TPOT; one simulation serves every row of its run.
 *   A bench that sends chat requests (`--backend openai-chat`, GuideLLM's chat formatter) has its
 *   prompt wrapped in the model's chat template on the server: the engine prefills inputLen +
 *   chatTemplateTokens (the row's source says how many).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageDataDir } from '../package-files.js';
import { MemoryRecordWriter } from '../run/record-writer.js';
import { runSimulationSync } from '../run/simulation.js';
import { resolveScenario } from '../scenario/load.js';
import { runLatency } from './commands/latency.js';
import { runPerf } from './commands/perf.js';
import type { SamplingParams } from '../perf/sampler.js';

export interface E2eMeasurement {
  id: string;
  kind: 'static' | 'closed-loop' | 'poisson' | 'constant' | 'fp8-kv-decode-ratio';
  source: string;
  gpu: string;
  model: string;
  tp: number;
  vllmVersion: string;
  versionNote?: string;
  batchSize?: number;
  concurrency?: number;
  /** poisson and constant rows: the request rate (req/s). */
  requestRate?: number;
  /** `--num-prompts` (default: 20 x concurrency, at least 100). */
  numPrompts?: number;
  /** Server flags the row states (`--max-model-len`, `--gpu-memory-utilization`). */
  maxModelLen?: number;
  gpuMemoryUtilization?: number;
  inputLen: number;
  /** Tokens the server's chat template adds to every prompt (chat endpoint): the engine prefills inputLen + this. */
  chatTemplateTokens?: number;
  outputLen: number;
  /** Serving rows: the sampling parameters the bench's requests ran with, after the server's generation-config defaults (samplingNote says why). */
  sampling?: SamplingParams;
  metric: 'avg_latency_ms' | 'median_itl_ms' | 'median_ttft_ms' | 'mean_ttft_ms' | 'median_tpot_ms' | 'mean_tpot_ms' | 'decode_speedup_ratio';
  measured: number;
  fitted?: boolean;
}

export interface E2eRow extends E2eMeasurement {
  predicted: number;
  errorPct: number;
}

// From the package root, not this module's URL: the bundle runs from dist/pdsim.cjs, one folder up from a chunk.
export const E2E_FILE = path.join(packageDataDir(), 'e2e', 'vllm-measurements.json');

export function loadE2e(file: string = E2E_FILE): E2eMeasurement[] {
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
      arrival: c !== undefined ? { process: 'all-at-once' } : { process: m.kind === 'constant' ? 'constant' : 'poisson', rate: m.requestRate },
      input: { dist: 'fixed', value: m.inputLen + (m.chatTemplateTokens ?? 0) },
      output: { dist: 'fixed', value: m.outputLen },
      ...(m.sampling ? { sampling: m.sampling } : {}),
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
  if (r.kind !== 'closed-loop' && r.kind !== 'poisson' && r.kind !== 'constant') return `${r.kind} ${r.metric}`;
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
    'Public measurements of real vLLM (`models/data/e2e/vllm-measurements.json`, each with its source and the quoted figures), re-predicted by `src/cli/e2e.ts`: static batches with `pdsim latency` at the row\'s vLLM version (bench latency\'s offline defaults); serving benches by simulating them (`pdsim simulate` with the bench\'s `--max-concurrency` closed loop, `--request-rate` Poisson arrivals or GuideLLM\'s evenly spaced `constant` rate, fixed lengths, the bench\'s prompt count, the chat template\'s tokens when it sends chat requests, the stated server flags, the sampling parameters its requests ran with), whose summary gives median/mean TTFT, ITL and TPOT as `vllm bench serve` reports them. Error = (predicted - measured) / measured. Only the row marked *fitted* was used to set a constant (the V1 front-end cost, src/perf/front-end.ts); every other row is held out: the perf model was fitted on operator tables, the step overhead on vidur\'s V0 table and published V1 figures (src/perf/step-overhead.ts), none of them these runs.',
    '',
    '| measurement | GPU | model | TP | vLLM | shape | metric | measured | pdsim | error |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const shape = r.kind === 'static' ? `batch ${r.batchSize}, ${r.inputLen} in / ${r.outputLen} out` : r.kind === 'poisson' ? `Poisson ${r.requestRate} req/s, ${r.inputLen} in / ${r.outputLen} out` : r.kind === 'constant' ? `constant ${r.requestRate!.toFixed(1)} req/s, ${r.inputLen} in / ${r.outputLen} out` : r.kind === 'fp8-kv-decode-ratio' ? `batch 1, context ${r.inputLen}, fp8 vs bf16 KV` : `concurrency ${r.concurrency}, ${r.inputLen} in / ${r.outputLen} out`;
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
  '- Serving TTFT, held out (15 rows: L4 closed loop at concurrency 2-32, H100 Poisson at 16 req/s, T4 at one request at a time and 8 constant rates): median |error| 14.4%, p90 33.5% (last round 15.7% / 43.2%), within the issue\'s 15% median target. Row by row L4 concurrency 2 -14.4%, 4 -13.6%, 8 -2.1%, 16 -7.5%, 32 +2.9% (were -14.5 / -14.0 / -2.7 / -8.1 / +0.8%), H100 -34.2% (was -35.2%), the 9 T4 rows alone 21.1% / 34.1% (were 26.9% / 46.8%): the T4 TTFT follows its decode steps (a request reaching a busy engine waits for the step in flight and the next: async scheduling\'s late join, src/serving/instance.ts), which the sampler term of this round lengthens (next notes). The fitted front end moves from 18.55 to 18.44 ms: the concurrency-1 row\'s engine time now holds the sampler\'s pass over its one row of logits (greedy + the generation config\'s repetition penalty, 0.11 ms) besides the 285-token prefill. Kept from earlier rounds, each with its source: the bench\'s workload as its job ran it (chat requests: 256 + 29 chat-template tokens; `--num-prompts min(20 C, 320)`; benchmarks/job.yaml of the source repository), the late join, and the L4 GEMM efficiency 0.47 (models/gpu/l4.json). The T4 run (another host, n1-standard-4, GuideLLM v0.5.0) is predicted within 6% at one request at a time, so the front end fitted on the L4 host carries over.',
  '- Serving TTFT, what is left and what was ruled out: the L4 rows at concurrency 2 and 4 are 14% low, the H100 row 34%. Desynchronised waves were tested and ruled out last round (spreading each request\'s front-end time by +-2 to 20% lowers the median at concurrency 4 and 16). H100: the run\'s raw result (sweep_results/F_vanilla_r16.seed42.json in the same PR) has a median ITL of 2.03 ms, which pdsim matches (2.07), but a mean ITL of 2.40 and a p99 ITL of 12.7 ms: every arriving request stalls the streams in flight by about 8.5 ms, about what its TTFT misses. Modelled this round (src/perf/eager-step.ts): a step above the largest captured CUDA-graph size (V1: min(2 x max_num_seqs, 512) tokens, so a new 512-token prompt plus the running decodes) runs the torch.compile\'d model without a graph (vllm#56975: every slow step carries prefill tokens and runs outside the graphs), and its kernel launches cost 0.130 ms per layer (vLLM PR #10058: OPT-125M, 12 layers, benchmark_latency 0.41 s without piecewise graphs against 0.21 s with them over 128 forward passes); the launches overlap the GPU work, so such a step costs max(its layers\' GPU time, layers x 0.130 ms). For Qwen3-0.6B (28 layers: 3.65 ms of launches against about 3 ms of GPU work) that adds 0.5 ms: mean TTFT -35.4% -> -34.2%, mean TPOT -10.8% -> -10.2%, p99 ITL 3.6 -> 4.0 ms against the measured 12.7. The sourced launch cost is far too small to be the stall, so its cause stays open (not fitted on this row). V0 runs every prompt step without a graph (0.169 ms per layer, same table); the dashboard rows\' prompt steps are long enough to hide it. Not modelled either: Qwen2.5\'s default system prompt is shared by every request, so V1\'s prefix cache holds one 16-token block of it (0.8% of the concurrency-1 TTFT).',
  '- Serving TPOT/ITL, held out (17 rows): median |error| 13.9%, p90 23.6% (last round 11.1% / 50.8%), within the 15% median target. New this round, the sampler (src/perf/sampler.ts): its passes over the (sequences x 151,936) fp32 logits each step, bytes per logit counted from vLLM\'s V1 sampler source (fp32 cast 6 B; greedy argmax 4 B; penalties 81 B: two (B, V+1) int64 token-count tables rebuilt every step, their masks, the repetition kernel and the frequency/presence updates; temperature 8 B; top-k/top-p: FlashInfer\'s sampler, vLLM\'s default from PR #40376, 65 B per logit at the datasheet bandwidth from that PR\'s B200 table), at the GPU\'s elementwise efficiency. Each row says how its bench\'s requests sample (models/data/e2e/vllm-measurements.json, samplingNote): `vllm bench serve` sends temperature 0 (greedy); GuideLLM sends nothing, so `vllm serve` applies Qwen2.5-0.5B-Instruct\'s generation_config (temperature 0.7, top-k 20, top-p 0.8, repetition penalty 1.1), and the repetition penalty applies to the greedy L4 requests too. T4: 0.10 ms per sequence per step (penalties 0.059, FlashInfer 0.031, cast and temperature 0.010), against pdsim\'s 0.035 ms per sequence of decode step before: TPOT at one request at a time -0.5% (was -3.3%), 4 req/s +0.3% (-6.1%), 6.8 -3.3% (-14.0%), 9.6 -13.9% (-26.7%), 12.4 -22.0% (-38.0%), 15.2 -21.0% (-40.9%), 18.0 -22.8% (-47.5%), 20.7 -26.7% (-55.7%), 23.5 -24.8% (-61.4%); the 9 T4 rows 21.0% / 25.2% (median was 38.0%). What is left on the T4 (a quarter low at 12 req/s and more; measured, a request\'s inter-token time grows 0.27 ms per request in flight) has no sourced term: vLLM 0.23.0 runs the FlashInfer attention backend on Turing (its floor was sm75 until 0.24.0, vllm#47949; src/model/vllm-version.ts now says so) and no FlashInfer-on-sm75 kernel timing was found; the host is a 4-vCPU n1-standard-4 that the GuideLLM client shares (pod affinity in benchmarks/guidellm-job.yaml). L4 (greedy + repetition penalty): median ITL +8.8% at concurrency 1 to +20.3% at 32 (were +6.7% to -9.9%; the 6 rows 11.6% / 18.5%): the sampler (greedy with the penalty) adds 0.066 ms per sequence, and pdsim\'s ITL now grows 3.0 ms from concurrency 1 to 32 where the measured grows 2.0 ms. So on the L4 the sampler is priced too high, on the T4 the step too low; candidates for the L4 side, not established: vLLM 0.23\'s Model Runner V2 keeps penalties in a packed prompt bitmask and a Triton bincount (vllm/v1/worker/gpu/sample/penalties.py, PR #29756) instead of rebuilding the int64 tables, if 0.23 ran it by default; the L4\'s 48 MB L2 (the T4 has 4 MB) holds the smaller tables at low concurrency. Not refitted on either GPU. The H100 Qwen3-0.6B TPOT is 10% low (see the stalls above; its q/k norms are not modelled); greedy requests without penalties add 10 B per logit there. A scenario without `workload.sampling` prices no sampler (every golden case), so those predictions are unchanged. GuideLLM\'s saturated `throughput` strategy (TTFT 7.7 s of queueing) is not used.',
  '- musgrave A100-40GB: pdsim is 16% slow. The 40 GB card\'s memory efficiencies are no longer the 80 GB fit\'s: they are scaled by 0.976, the ratio of a plain copy\'s fraction of the datasheet bandwidth measured on HBM2 (A100-SXM4-40GB, 1355 of 1555 GB/s) and on HBM2e (A800 80GB PCIe, 1727 of 1935 GB/s) (src/calibrate/datasets.ts, TRANSFERS; two harnesses, no HBM2 operator table exists). That relation makes the 40 GB card slightly slower per byte (the row was 14% slow before it), so it does not explain the miss; the author\'s "about 75 tokens/sec" (77% of the 40 GB card\'s bandwidth for the whole step) says the card reaches more of its HBM than the 80 GB fit does. Not refitted on one rounded figure.',
  '- The fp8 KV rows check the KV-dtype model alone (vLLM\'s docs: decode speed-up grows with context as KV reads take a larger share of the step); pdsim reads half the KV bytes and nothing else changes, which matches to within 2%. Qwen3-4B\'s q/k norms are not modelled, which cancels in the ratio.',
  '- 4-bit weights (no end-to-end row): Marlin\'s README (github.com/IST-DASLab/marlin) reports close to ideal (4x) GEMM speed-ups over fp16 up to batch 16-32. pdsim\'s AWQ/GPTQ-Marlin GEMMs compute at the GPU\'s large-batch GEMM efficiency (the bf16 curve\'s small-row values were fitted on cuBLAS GEMMs that are memory-bound there): Llama-3.1-70B on A100, linear layers at batch 1 / 16 / 32 / 64 / 128: 3.68x / 3.66x / 3.63x / 2.21x / 1.33x over bf16 (was 2.37x / 2.38x / 1.89x / 1.34x / 1.00x); the whole decode step 3.07x at batch 1. Plain `awq`/`gptq` (not Marlin) keep the fp16 curve (about 2.4x). No published Marlin kernel timing table was at hand to fit it on.',
  '- Found this round: the L4 sweep\'s own repository (github.com/ahmedwaleedmalik/k8s-llm-inference-platform, Apache-2.0) also holds a T4 GuideLLM sweep with its raw report (benchmarks/results/2026-06-26-t4-qwen2.5-0.5b/report.json): the first T4 serving rows. GuideLLM\'s `inter_token_latency_ms` is per request ((latency - TTFT) / (tokens - 1)), vLLM bench\'s TPOT, so it is compared with median_tpot_ms. Searched before and not added: ray#59681 (RTX 5050, no profile), the InferenceBench H100 sweeps (own client, lengths not given), tenstorrent sweeps (not NVIDIA), a T4 contest write-up (only tuned results); the kvcached PR\'s rate=inf rows (500 requests at once under kvcached\'s layout experiments).',
  '- Round fid5 (this round): two terms with a source each, neither fitted on these rows: the sampler\'s passes over the logits (src/perf/sampler.ts; priced when a scenario gives `workload.sampling`, which every serving row here now does from its bench\'s client and the model\'s generation_config) and steps that run without CUDA graphs (src/perf/eager-step.ts; every V1 step above the largest captured size with prompt tokens, every V0 prompt step, in `simulate`, `perf` and `latency` alike). The front end is refitted on its one row (18.55 -> 18.44 ms). The T4 attention backend for vLLM 0.11-0.23 is FLASHINFER (was TRITON_ATTN; a label, no timing depends on it). No T4 term was fitted, so no T4 row is marked fitted.',
].join('\n');

/** Replaces (or appends) the e2e section of a markdown document. */
export function withE2eSection(doc: string, section: string = e2eMarkdown()): string {
  const a = doc.indexOf(E2E_BEGIN);
  const b = doc.indexOf(E2E_END);
  if (a >= 0 && b > a) return doc.slice(0, a) + section + doc.slice(b + E2E_END.length + 1);
  return `${doc.trimEnd()}\n\n${section}`;
}
