/**
 * Imports a `vllm bench serve --save-result` JSON file (reference Part 1.3) into the summary shape,
 * so a simulation can be compared with a benchmark someone already ran. With `--append-result`
 * the file holds one JSON object per line; the last one is taken unless an index is given.
 * Keys the file lacks (p90 when only `--metric-percentiles 99` was asked, e2el when not in
 * `--percentile-metrics`) become null rather than guesses.
 *
 * The file is checked before anything is simulated: every key pdsim reads must have the type
 * serve.py writes (a UserError names the key as a JSON pointer), and with `--save-detailed` the
 * per-request arrays (`input_lens, output_lens, ttfts, itls`, seconds; `start_times, errors`) must
 * be lists of one length whose successes agree with `completed`. They become per-request results,
 * from which the report draws the measured CDFs.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../../src/errors.js';
import { LATENCY_METRICS, STATS, type BenchSummary, type LiveRequestResult } from './types.js';
import { vllmMessages } from '../../src/messages/vllm.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export interface BenchRunInfo {
  model_id: string | null;
  tokenizer_id: string | null;
  backend: string | null;
  num_prompts: number | null;
  request_rate: number | 'inf' | null;
  burstiness: number | null;
  max_concurrency: number | null;
  ramp_up_strategy: string | null;
  ramp_up_start_rps: number | null;
  ramp_up_end_rps: number | null;
  date: string | null;
}

export interface BenchResult {
  summary: BenchSummary;
  info: BenchRunInfo;
  /** Per-request results from the --save-detailed arrays (times relative to the first start); absent without them. */
  requests?: LiveRequestResult[];
}

/** Keys serve.py writes as numbers (or null); a string or a list there means a wrong or damaged file. */
const NUMERIC_KEYS = [
  'completed', 'failed', 'duration', 'total_input_tokens', 'total_output_tokens', 'request_throughput', 'request_goodput',
  'output_throughput', 'total_token_throughput', 'max_output_tokens_per_s', 'max_concurrent_requests', 'num_prompts',
  'burstiness', 'max_concurrency', 'ramp_up_start_rps', 'ramp_up_end_rps',
] as const;
const DETAILED_KEYS = ['input_lens', 'output_lens', 'ttfts', 'itls'] as const;

function parseObjects(text: string, file: string): unknown[] {
  try {
    return [JSON.parse(text) as unknown];
  } catch {
    try {
      return text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as unknown);
    } catch {
      throw new UserError(vllmMessages.notABenchResult(), file);
    }
  }
}

function checkTypes(o: Record<string, unknown>, file: string): void {
  for (const k of ['completed', 'duration'] as const) {
    if (num(o[k]) === null) throw new UserError(vllmMessages.benchResultNotANumber(k, JSON.stringify(o[k]) ?? 'nothing'), file, `/${k}`);
  }
  for (const k of NUMERIC_KEYS) {
    if (k in o && o[k] !== null && num(o[k]) === null) throw new UserError(vllmMessages.notANumberOrNull(JSON.stringify(o[k])), file, `/${k}`);
  }
  for (const k of Object.keys(o)) {
    if (/^(mean|median|std|p\d+(\.\d+)?)_[a-z0-9_]+_ms$/.test(k) && o[k] !== null && num(o[k]) === null) throw new UserError(vllmMessages.notMilliseconds(JSON.stringify(o[k])), file, `/${k}`);
  }
  const rate = o['request_rate'];
  if (rate !== undefined && rate !== null && rate !== 'inf' && num(rate) === null) throw new UserError(vllmMessages.notARequestRate(JSON.stringify(rate)), file, '/request_rate');
}

/** The --save-detailed arrays as per-request results; undefined when the file has none. */
function detailedRequests(o: Record<string, unknown>, file: string): LiveRequestResult[] | undefined {
  // Keyed on "ttfts": one fork of serve.py keeps every array but input_lens and errors.
  if (!('ttfts' in o)) return undefined;
  const n = Array.isArray(o['ttfts']) ? o['ttfts'].length : -1;
  // `itls` may be missing only where `latencies` gives the end-to-end times (pdsim's own files).
  const optional = new Set(['start_times', 'errors', 'input_lens', 'latencies', ...('latencies' in o ? ['itls'] : [])]);
  for (const k of [...DETAILED_KEYS, 'start_times', 'errors', 'latencies']) {
    if (!(k in o) && optional.has(k)) continue;
    const v = o[k];
    if (!Array.isArray(v)) throw new UserError(vllmMessages.detailedArrayMissing(k), file, `/${k}`);
    if (v.length !== n) throw new UserError(vllmMessages.wrongEntryCount(n, v.length), file, `/${k}`);
    v.forEach((x: unknown, i) => {
      const ok = k === 'errors' ? typeof x === 'string' || x === null : k === 'itls' ? Array.isArray(x) && x.every((g) => num(g) !== null) : num(x) !== null;
      if (!ok) throw new UserError(vllmMessages.unexpectedValue(k === 'errors' ? 'a string' : k === 'itls' ? 'a list of gaps in seconds' : 'a number', JSON.stringify(x)), file, `/${k}/${i}`);
    });
  }
  const inLens = o['input_lens'] as number[] | undefined;
  const outLens = o['output_lens'] as number[];
  const ttfts = o['ttfts'] as number[];
  const itls = o['itls'] as number[][] | undefined;
  const latencies = o['latencies'] as number[] | undefined;
  const errors = o['errors'] as (string | null)[] | undefined;
  const starts = o['start_times'] as number[] | undefined;
  const t0 = starts && starts.length > 0 ? Math.min(...starts) : 0;
  const out: LiveRequestResult[] = [];
  for (let i = 0; i < n; i++) {
    // serve.py: a failed request has a non-empty error and output length 0.
    const success = errors ? !errors[i] : outLens[i]! > 0;
    const itlMs = itls ? itls[i]!.map((g) => g * 1000) : [];
    const ttftMs = success ? ttfts[i]! * 1000 : null;
    out.push({
      id: i,
      arrivalS: starts ? starts[i]! - t0 : 0,
      startS: starts ? starts[i]! - t0 : 0,
      success,
      ...(success ? {} : { error: errors?.[i] ?? 'failed' }),
      ttftMs,
      itlMs: success ? itlMs : [],
      // serve.py's latency is the last token chunk - start = ttft + every gap.
      e2elMs: ttftMs === null ? null : latencies ? latencies[i]! * 1000 : ttftMs + itlMs.reduce((a, b) => a + b, 0),
      promptTokens: inLens?.[i] ?? 0,
      requestedOutputTokens: outLens[i]!,
      outputTokens: success ? outLens[i]! : null,
      usagePromptTokens: inLens?.[i] ?? null,
    });
  }
  const completed = out.filter((r) => r.success).length;
  if (completed !== o['completed']) throw new UserError(vllmMessages.completedCountMismatch(completed, String(o['completed'])), file, '/completed');
  return out;
}

export function parseBenchResult(text: string, file = '<bench result>', index = -1): BenchResult {
  const objects = parseObjects(text, file);
  const picked = objects.at(index);
  if (typeof picked !== 'object' || picked === null || Array.isArray(picked) || !('completed' in picked) || !('duration' in picked)) {
    throw new UserError(vllmMessages.benchResultMissingKeys(), file);
  }
  const o = picked as Record<string, unknown>;
  checkTypes(o, file);
  const summary: BenchSummary = {
    completed: num(o['completed']) ?? 0,
    failed: num(o['failed']) ?? 0,
    duration: num(o['duration']) ?? 0,
    total_input_tokens: num(o['total_input_tokens']) ?? 0,
    total_output_tokens: num(o['total_output_tokens']) ?? 0,
    request_throughput: num(o['request_throughput']) ?? 0,
    output_throughput: num(o['output_throughput']) ?? 0,
    total_token_throughput: num(o['total_token_throughput']) ?? 0,
    request_goodput: num(o['request_goodput']),
    max_output_tokens_per_s: num(o['max_output_tokens_per_s']),
    max_concurrent_requests: num(o['max_concurrent_requests']),
  };
  for (const m of LATENCY_METRICS) for (const s of STATS) summary[`${s}_${m}_ms`] = num(o[`${s}_${m}_ms`]);
  summary.pdsim = { source: 'vllm bench serve', file };
  const rate = o['request_rate'];
  const requests = detailedRequests(o, file);
  return {
    summary,
    info: {
      model_id: str(o['model_id']),
      tokenizer_id: str(o['tokenizer_id']),
      backend: str(o['backend']),
      num_prompts: num(o['num_prompts']),
      request_rate: rate === 'inf' ? 'inf' : num(rate),
      burstiness: num(o['burstiness']),
      max_concurrency: num(o['max_concurrency']),
      ramp_up_strategy: str(o['ramp_up_strategy']),
      ramp_up_start_rps: num(o['ramp_up_start_rps']),
      ramp_up_end_rps: num(o['ramp_up_end_rps']),
      date: str(o['date']),
    },
    ...(requests ? { requests } : {}),
  };
}

export function readBenchResult(file: string): BenchResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(vllmMessages.cannotReadBenchResult((e as Error).message), file);
  }
  return parseBenchResult(text, file);
}
