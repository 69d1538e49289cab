/**
 * Imports a `vllm bench serve --save-result` JSON file (reference Part 1.3) into the summary shape,
 * so a simulation can be compared with a benchmark someone already ran. With `--append-result`
 * the file holds one JSON object per line; the last one is taken unless an index is given.
 * Keys the file lacks (p90 when only `--metric-percentiles 99` was asked, e2el when not in
 * `--percentile-metrics`) become null rather than guesses.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../../src/errors.js';
import { LATENCY_METRICS, STATS, type BenchSummary } from './types.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export interface BenchRunInfo {
  model_id: string | null;
  num_prompts: number | null;
  request_rate: number | 'inf' | null;
  date: string | null;
  backend: string | null;
}

export function parseBenchResult(text: string, file = '<bench result>', index = -1): { summary: BenchSummary; info: BenchRunInfo } {
  let objects: unknown[];
  try {
    objects = [JSON.parse(text) as unknown];
  } catch {
    try {
      objects = text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as unknown);
    } catch {
      throw new UserError('not a vllm bench serve result (neither JSON nor newline-separated JSON)', file);
    }
  }
  const picked = objects.at(index);
  if (typeof picked !== 'object' || picked === null || !('completed' in picked) || !('duration' in picked)) {
    throw new UserError('not a vllm bench serve result: expected keys "completed" and "duration"', file);
  }
  const o = picked as Record<string, unknown>;
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
  return {
    summary,
    info: {
      model_id: typeof o['model_id'] === 'string' ? o['model_id'] : null,
      num_prompts: num(o['num_prompts']),
      request_rate: rate === 'inf' ? 'inf' : num(rate),
      date: typeof o['date'] === 'string' ? o['date'] : null,
      backend: typeof o['backend'] === 'string' ? o['backend'] : null,
    },
  };
}

export function readBenchResult(file: string): { summary: BenchSummary; info: BenchRunInfo } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read vllm bench result: ${(e as Error).message}`, file);
  }
  return parseBenchResult(text, file);
}
