/**
 * `pdsim validate`: the same scenario run twice, once simulated and once live, then compared.
 *   1. load the scenario (with --requests and --set overrides);
 *   2. probe the server: reachable, model served, max_model_len, version; with
 *      --calibrate-capacity, take num_gpu_blocks and block_size from `vllm:cache_config_info`;
 *   3. simulate -> sim/summary.json, sim/requests.jsonl;
 *   4. replay the same requests (same seed) on the wall clock, scraping /metrics before and after
 *      -> live/requests.jsonl (appended as results arrive), live/summary.json, live/metrics-delta.json;
 *      or, with a bench result file, read that instead of measuring;
 *   5. compare -> comparison.json, the terminal table, report.html with overlaid CDFs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseVllmVersion } from '../../src/model/vllm-version.js';
import { UserError } from '../../src/errors.js';
import { RandomStreams } from '../../src/kernel/random.js';
import { cdfFromSorted } from '../../src/metrics/cdf.js';
import type { RunSeries } from '../../src/metrics/run-series.js';
import { writeReport } from '../../src/report/write.js';
import { JsonlRecordWriter } from '../../src/run/record-writer.js';
import { runSimulation } from '../../src/run/simulation.js';
import { loadScenario, type LoadedScenario } from '../../src/scenario/load.js';
import type { RequestSpec } from '../../src/serving/types.js';
import { makeWorkload } from '../../src/workload/generator.js';
import { benchSummary, tpotMsOf } from './bench-metrics.js';
import { readBenchResult } from './bench-result.js';
import { LIVE_UNMEASURED, livePeaks, liveTimeSeries } from './live-series.js';
import { withBenchRunInfo } from '../../src/metrics/bench-info.js';
import { checkBenchAgainstScenario } from './bench-check.js';
import { loadLlm } from '../../src/model/catalog.js';
import { loadTokenizer } from '../server/tokenizer-real.js';
import { compareSummaries, formatComparisonTable, type Comparison } from './compare.js';
import { liveMessages as msg } from './messages.js';
import { metricsDelta } from './metrics-scrape.js';
import { probeServer, scrapeMetrics, serverCacheConfig, type ServerInfo } from './probe.js';
import { replay } from './replay.js';
import { promptIds } from './prompt-ids.js';
import { sendStreamed, type ApiKind, type LiveTarget } from './sse-client.js';
import type { BenchSummary, LiveRequestResult } from './types.js';
import { vllmMessages } from '../../src/messages/vllm.js';

export interface ValidateOptions {
  out: string;
  /** Base URL of the server (no /v1); required unless benchResult is given. */
  endpoint?: string;
  requests?: number;
  set?: readonly string[];
  seed?: number;
  model?: string;
  api?: ApiKind;
  apiKey?: string;
  timeoutS?: number;
  calibrateCapacity?: boolean;
  /** Compare with this `vllm bench serve --save-result` file instead of measuring. */
  benchResult?: string;
  /** Server's simulated seconds per wall second (pdsim serve --speed); 1 for a real server. */
  speed?: number;
  report?: boolean;
  /** Catalog directory for the simulation (default: the package's models/). */
  modelsDir?: string;
  /** Progress and notes. */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface ValidateResult {
  comparison: Comparison;
  sim: BenchSummary;
  live: BenchSummary;
  liveResults: LiveRequestResult[];
  server?: ServerInfo;
  notes: string[];
}

const writeJson = (file: string, v: unknown): void => writeFileSync(file, JSON.stringify(v, null, 2) + '\n');

function overrides(o: ValidateOptions, extra: string[] = []): string[] {
  return [...(o.set ?? []), ...(o.requests !== undefined ? [`workload.requests=${o.requests}`] : []), ...extra];
}

/** The requests the simulation will see (same generator, same seed). */
function workloadOf(loaded: LoadedScenario, seed: number): RequestSpec[] {
  return [...makeWorkload(loaded.scenario.workload, loaded.baseDir, loaded.file, new RandomStreams(seed)).requests()];
}

function liveSeries(label: string, results: readonly LiveRequestResult[]): RunSeries {
  const ok = results.filter((r) => r.success);
  const sorted = (xs: number[]): number[] => xs.sort((a, b) => a - b);
  return {
    label,
    cdf: {
      ttftMs: cdfFromSorted(sorted(ok.map((r) => r.ttftMs!))),
      tpotMs: cdfFromSorted(sorted(ok.map(tpotMsOf).filter((v): v is number => v !== null))),
      itlMs: cdfFromSorted(sorted(ok.flatMap((r) => r.itlMs))),
      e2elMs: cdfFromSorted(sorted(ok.map((r) => r.e2elMs!))),
    },
    timeSeries: liveTimeSeries(results),
    unmeasured: LIVE_UNMEASURED,
  };
}

export async function runValidate(file: string, o: ValidateOptions): Promise<ValidateResult> {
  const log = o.log ?? (() => {});
  const notes: string[] = [];
  const note = (s: string): void => {
    notes.push(s);
    log(`note: ${s}`);
  };
  // 1-2. Load, probe, calibrate.
  let loaded = loadScenario(file, overrides(o));
  for (const n of loaded.notes ?? []) note(n);
  const seed = o.seed ?? loaded.scenario.seed;
  let server: ServerInfo | undefined;
  if (!o.benchResult) {
    if (!o.endpoint) throw new UserError(vllmMessages.endpointRequired());
    server = await probeServer(o.endpoint, { model: o.model, apiKey: o.apiKey });
    const mismatch = versionMismatch(server.version, loaded.scenario.engine?.vllmVersion);
    if (mismatch) note(mismatch);
    if (o.calibrateCapacity) {
      const cc = await serverCacheConfig(o.endpoint, o.apiKey);
      if (!cc) note(msg.noCacheInfo(o.endpoint));
      else {
        loaded = loadScenario(file, overrides(o, [`engine.numGpuBlocks=${cc.numGpuBlocks}`, `engine.blockSize=${cc.blockSizeTokens}`]));
        note(msg.calibrated(cc.numGpuBlocks, cc.blockSizeTokens));
      }
    }
  }
  const specs = workloadOf(loaded, seed);
  // A bench result is checked before anything is simulated: a wrong file fails at once.
  const bench = o.benchResult ? readBenchResult(o.benchResult) : undefined;
  if (bench) for (const w of checkBenchAgainstScenario(bench, loaded.scenario, specs, loadLlm(loaded.scenario.model).hfId, o.benchResult!)) note(w);
  if (server?.maxModelLen) {
    const bad = specs.find((s) => s.promptTokens + s.outputTokens > server!.maxModelLen!);
    if (bad) throw new UserError(msg.tooLong(bad.id, bad.promptTokens, bad.outputTokens, server.maxModelLen));
  }
  mkdirSync(join(o.out, 'sim'), { recursive: true });
  mkdirSync(join(o.out, 'live'), { recursive: true });

  // 3. Simulate.
  log(`simulating ${specs.length} requests (seed ${seed})...`);
  const writer = new JsonlRecordWriter(join(o.out, 'sim', 'requests.jsonl'));
  const simRun = await runSimulation(loaded, { seed, writer, modelsDir: o.modelsDir }).finally(() => writer.close());
  const sim = simRun.summary as unknown as BenchSummary;
  writeJson(join(o.out, 'sim', 'summary.json'), sim);

  // 4. Measure (or import).
  let live: BenchSummary;
  let liveResults: LiveRequestResult[] = [];
  let liveRun: RunSeries | undefined;
  if (bench) {
    live = bench.summary;
    if (bench.requests) {
      liveResults = bench.requests;
      liveRun = liveSeries('bench result', bench.requests);
    } else {
      note('the bench result has no per-request arrays (run vllm bench serve with --save-detailed): no measured CDFs in the report');
    }
  } else {
    const base = o.endpoint!;
    const api = o.api ?? 'completions';
    let chatContent: ((ids: readonly number[]) => string) | undefined;
    if (api === 'chat') {
      const tok = await loadTokenizer(loaded.scenario.model);
      chatContent = tok.chatContentForTokens;
      note(tok.kind === 'real'
        ? `chat prompts are sized with ${tok.description}: lengths match a server using the same tokenizer and template`
        : `chat prompts are sized with the ${tok.description}: exact against pdsim serve, approximate against a real server (its tokenizer and chat template count differently); use --api completions for exact lengths`);
    }
    const target = { baseUrl: base, model: server!.model, api, apiKey: o.apiKey, timeoutMs: (o.timeoutS ?? 600) * 1000, chatContent } as const;
    await initialTestRequest(target, specs[0], seed);
    const before = await scrapeMetrics(base, o.apiKey);
    if (!before) note(msg.noMetrics(base));
    log(`replaying ${specs.length} requests against ${base} (model ${server!.model})...`);
    writeFileSync(join(o.out, 'live', 'requests.jsonl'), ''); // a fresh run; lines are appended as results arrive
    let done = 0;
    const outcome = await replay(specs, {
      target,
      seed,
      speed: o.speed,
      jsonlPath: join(o.out, 'live', 'requests.jsonl'),
      signal: o.signal,
      onResult: () => {
        done++;
        if (done % Math.max(1, Math.floor(specs.length / 10)) === 0) log(`  ${done}/${specs.length} done`);
      },
    });
    const after = before ? await scrapeMetrics(base, o.apiKey) : undefined;
    liveResults = outcome.results;
    live = benchSummary(liveResults, { durationS: outcome.durationS, goodput: Object.keys(loaded.scenario.slo ?? {}).length ? loaded.scenario.slo : undefined });
    // The run-info keys and peak figures, in the same places as the simulation's summary.
    live = withBenchRunInfo(live, { label: loaded.scenario.name, workload: loaded.scenario.workload, numPrompts: specs.length, hfId: server!.model, peaks: livePeaks(liveResults), backend: api === 'chat' ? 'openai-chat' : 'openai' });
    live.pdsim = { ...live.pdsim, server: { url: base, model: server!.model, version: server!.version, max_model_len: server!.maxModelLen }, seed, not_sent: outcome.notSent };
    if (before && after) writeJson(join(o.out, 'live', 'metrics-delta.json'), metricsDelta(before, after));
    const failed = liveResults.filter((r) => !r.success);
    if (failed.length) note(msg.failures(failed.length, JSON.stringify((live.pdsim as { failures: unknown }).failures)));
    const mism = liveResults.filter((r) => r.lengthMismatch !== undefined).length;
    if (mism) note(msg.lengthMismatches(mism));
    if (outcome.notSent > 0) note(msg.interrupted(liveResults.length, specs.length, o.out));
    liveRun = liveSeries('live', liveResults);
  }
  writeJson(join(o.out, 'live', 'summary.json'), live);

  // 5. Compare and report.
  const comparison = compareSummaries(sim, live);
  writeJson(join(o.out, 'comparison.json'), comparison);
  if (o.report !== false) {
    const runs = [{ ...simRun.series, label: 'sim' }, ...(liveRun ? [liveRun] : [])];
    const rows = Object.entries(comparison.metrics).map(([k, m]) => [k, m.predicted, m.measured, m.errorPct === null ? null : Math.round(m.errorPct * 10) / 10]);
    await writeReport(o.out, {
      title: `pdsim validate: ${loaded.scenario.name}`,
      subtitle: `${loaded.file} · seed ${seed} · ${o.benchResult ? `bench result ${o.benchResult}` : `${o.endpoint} (${server!.model}${server!.version ? `, ${server!.version}` : ''})`}`,
      table: { columns: ['metric', 'predicted (sim)', 'measured (live)', 'error %'], rows },
      runs,
      notes,
    });
  }
  return { comparison, sim, live, liveResults, server, notes };
}

/**
 * Like `vllm bench serve`'s "initial single prompt test run": one request with the first request's
 * lengths before the clock starts. It fails fast with the server's reason (wrong model, lengths,
 * key) and warms connections and JITs so the first measured request is not a cold start. Its
 * prompt ids differ from every replayed one, so it leaves no prefix-cache hit behind.
 */
async function initialTestRequest(target: LiveTarget, first: RequestSpec | undefined, seed: number): Promise<void> {
  if (!first) return;
  const warm: RequestSpec = { id: -1, arrivalS: 0, promptTokens: first.promptTokens, outputTokens: Math.min(first.outputTokens, 8) };
  const r = await sendStreamed(target, { id: -1, arrivalS: 0, promptTokenIds: promptIds(warm, `${seed}/warmup`), maxTokens: warm.outputTokens }, performance.now());
  if (!r.success) throw new UserError(msg.testRequestFailed(target.baseUrl, r.error ?? 'unknown'));
}

export { formatComparisonTable };

/** A warning when the live server's /version differs from the version the scenario predicts (undefined when they agree or either is unknown). */
export function versionMismatch(serverVersion: string | null | undefined, scenarioVersion: string | undefined): string | undefined {
  if (!serverVersion || !scenarioVersion) return undefined;
  let live: string;
  try {
    live = parseVllmVersion(serverVersion, '').text;
  } catch {
    // Not a vLLM version string (e.g. a proxy's or pdsim serve's own): nothing to compare.
    return undefined;
  }
  const sim = parseVllmVersion(scenarioVersion, '').text;
  return live === sim ? undefined : `warning: the server runs vLLM ${serverVersion} but the scenario predicts vLLM ${scenarioVersion} (engine.vllmVersion); pass --vllm-version ${live} to simulate the server's version`;
}
