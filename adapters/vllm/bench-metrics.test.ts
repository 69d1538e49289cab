import { describe, expect, it } from 'vitest';
import { benchSummary } from './bench-metrics.js';
import { percentile } from '../../src/metrics/bench-definitions.js';
import { parseBenchResult } from './bench-result.js';
import { compareSummaries, formatComparisonTable } from './compare.js';
import type { LiveRequestResult } from './types.js';

const r = (id: number, startS: number, ttftMs: number, itlMs: number[], out: number, success = true): LiveRequestResult => ({
  id, arrivalS: startS, startS, success, ttftMs: success ? ttftMs : null, itlMs: success ? itlMs : [],
  e2elMs: success ? ttftMs + itlMs.reduce((a, b) => a + b, 0) : null,
  promptTokens: 100, requestedOutputTokens: out, outputTokens: success ? out : null, usagePromptTokens: 100,
  ...(success ? {} : { error: 'http 500: x' }),
});

describe('bench metrics', () => {
  it('matches numpy percentile (linear)', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 99)).toBeCloseTo(3.97);
    expect(percentile([], 50)).toBe(0);
  });
  it('uses vllm bench definitions: TPOT only for output > 1, ITL pooled, goodput with TPOT 0 for one token', () => {
    const results = [r(0, 0, 100, [10, 20], 3), r(1, 0.5, 300, [], 1), r(2, 1, 50, [], 1, false)];
    const s = benchSummary(results, { durationS: 2, goodput: { ttftMs: 200, tpotMs: 12 } });
    expect(s.completed).toBe(2);
    expect(s.failed).toBe(1);
    expect(s.total_input_tokens).toBe(200);
    expect(s.total_output_tokens).toBe(4);
    expect(s.output_throughput).toBe(2);
    expect(s.mean_tpot_ms).toBe(15); // only request 0: (130 - 100) / 2
    expect(s.median_itl_ms).toBe(15);
    expect(s.mean_ttft_ms).toBe(200);
    expect(s.std_ttft_ms).toBe(100);
    expect(s.mean_e2el_ms).toBe(215);
    // request 0: ttft 100 <= 200 but tpot 15 > 12 -> bad; request 1: ttft 300 > 200 -> bad
    expect(s.request_goodput).toBe(0);
    expect(benchSummary(results, { durationS: 2 }).request_goodput).toBeNull();
    expect(s.pdsim).toMatchObject({ failures: { 'http 500: x': 1 }, max_concurrent_requests: 1 });
  });
  it('reads a vllm bench result file and compares with a signed error', () => {
    const text = JSON.stringify({ date: '20260101-000000', backend: 'vllm', model_id: 'meta-llama/Llama-3.1-8B', num_prompts: 10, request_rate: 'inf',
      duration: 10, completed: 10, failed: 0, total_input_tokens: 1000, total_output_tokens: 500, request_throughput: 1, request_goodput: null,
      output_throughput: 50, total_token_throughput: 150, mean_ttft_ms: 100, median_ttft_ms: 90, std_ttft_ms: 5, p99_ttft_ms: 200, mean_tpot_ms: 20, itls: [[1]] });
    const { summary, info } = parseBenchResult(text, 'x.json');
    expect(info.request_rate).toBe('inf');
    expect(summary.median_ttft_ms).toBe(90);
    expect(summary.p90_ttft_ms).toBeNull();
    const predicted = { ...summary, median_ttft_ms: 99, mean_tpot_ms: 18 };
    const c = compareSummaries(predicted, summary);
    expect(c.metrics['median_ttft_ms']!.errorPct).toBeCloseTo(10);
    expect(c.metrics['mean_tpot_ms']!.errorPct).toBeCloseTo(-10);
    expect(c.metrics['p90_ttft_ms']!.errorPct).toBeNull();
    expect(formatComparisonTable(c)).toMatch(/median_ttft_ms\s+99\.00\s+90\.00\s+\+10\.0%/);
    expect(() => parseBenchResult('{"a":1}', 'y.json')).toThrow(/y\.json.*not a vllm bench serve result/);
  });
});
