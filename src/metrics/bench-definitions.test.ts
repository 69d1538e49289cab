import { describe, expect, it } from 'vitest';
import { ExactSamples, latencyKeys, meetsSlo, percentile, throughputKeys, tpotMs } from './bench-definitions.js';
import { Distribution } from './distribution.js';

describe('vllm bench serve definitions (hand-computed)', () => {
  it('TPOT is (e2el - ttft) / (output - 1), and undefined for one output token', () => {
    expect(tpotMs(130, 100, 3)).toBe(15);
    expect(tpotMs(300, 300, 1)).toBeNull();
    expect(tpotMs(300, 300, 0)).toBeNull();
  });

  it('goodput: every given SLO must be >= the value (equality is good); a missing TPOT counts as 0', () => {
    expect(meetsSlo({ ttftMs: 200 }, 200, 99, 1e9)).toBe(true);
    expect(meetsSlo({ ttftMs: 200 }, 200.001, null, 0)).toBe(false);
    expect(meetsSlo({ ttftMs: 200, tpotMs: 12 }, 100, 15, 130)).toBe(false);
    expect(meetsSlo({ tpotMs: 0 }, 300, null, 300)).toBe(true);
    expect(meetsSlo({ e2elMs: 1000 }, 1, 1, 1000.5)).toBe(false);
    expect(meetsSlo({}, 1e9, 1e9, 1e9)).toBe(true);
  });

  it('percentiles are numpy linear interpolation: rank p/100 x (n - 1)', () => {
    expect(percentile([1, 2, 3, 4], 0)).toBe(1);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5); // rank 1.5
    expect(percentile([1, 2, 3, 4], 90)).toBeCloseTo(3.7, 12); // rank 2.7
    expect(percentile([1, 2, 3, 4], 99)).toBeCloseTo(3.97, 12); // rank 2.97
    expect(percentile([1, 2, 3, 4], 100)).toBe(4);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });

  it('the five stats keys in the bench order, population std, rounded to 6 decimals', () => {
    const k = latencyKeys('ttft', new ExactSamples([4, 1, 3, 2]));
    expect(Object.keys(k)).toEqual(['mean_ttft_ms', 'median_ttft_ms', 'std_ttft_ms', 'p90_ttft_ms', 'p99_ttft_ms']);
    // mean 2.5; variance ((1.5^2 + 0.5^2) x 2) / 4 = 1.25; std = 1.118033988...
    expect(k).toEqual({ mean_ttft_ms: 2.5, median_ttft_ms: 2.5, std_ttft_ms: 1.118034, p90_ttft_ms: 3.7, p99_ttft_ms: 3.97 });
    expect(latencyKeys('itl', new ExactSamples([10, 20]), 14).mean_itl_ms).toBe(14);
  });

  it('empty samples: the measured side writes the bench 0, the simulator null (no data)', () => {
    expect(latencyKeys('tpot', new ExactSamples([]))).toEqual({ mean_tpot_ms: 0, median_tpot_ms: 0, std_tpot_ms: 0, p90_tpot_ms: 0, p99_tpot_ms: 0 });
    expect(latencyKeys('tpot', new Distribution())).toEqual({ mean_tpot_ms: null, median_tpot_ms: null, std_tpot_ms: null, p90_tpot_ms: null, p99_tpot_ms: null });
  });

  it("the simulator's Distribution gives the same keys as every sample kept", () => {
    const values = [12.5, 3, 99.25, 40, 7.75, 7.75, 61, 0.5, 18];
    const d = new Distribution();
    for (const v of values) d.add(v);
    expect(latencyKeys('e2el', d)).toEqual(latencyKeys('e2el', new ExactSamples(values)));
  });

  it('throughputs divide by the duration; goodput null without an SLO; 0 for a zero duration', () => {
    const t = { completed: 2, failed: 1, good: 1, totalInputTokens: 200, totalOutputTokens: 4, durationS: 3 };
    expect(throughputKeys(t)).toEqual({
      completed: 2, failed: 1, duration: 3, total_input_tokens: 200, total_output_tokens: 4,
      request_throughput: 0.666667, request_goodput: 0.333333, output_throughput: 1.333333, total_token_throughput: 68,
    });
    expect(Object.keys(throughputKeys(t))).toEqual(['completed', 'failed', 'duration', 'total_input_tokens', 'total_output_tokens', 'request_throughput', 'request_goodput', 'output_throughput', 'total_token_throughput']);
    expect(throughputKeys({ ...t, good: null }).request_goodput).toBeNull();
    expect(throughputKeys({ ...t, durationS: 0 })).toMatchObject({ request_throughput: 0, request_goodput: 0, output_throughput: 0, total_token_throughput: 0 });
  });
});
