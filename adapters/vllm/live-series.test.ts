import { describe, expect, it } from 'vitest';
import { livePeaks, liveTimeSeries } from './live-series.js';
import type { LiveRequestResult } from './types.js';

const req = (id: number, startS: number, ttftMs: number, itlMs: number[], outputTokens: number): LiveRequestResult => ({
  id, arrivalS: startS, startS, success: true, ttftMs, itlMs, e2elMs: ttftMs + itlMs.reduce((a, b) => a + b, 0),
  promptTokens: 10, requestedOutputTokens: outputTokens, outputTokens, usagePromptTokens: 10,
});

describe('live time series', () => {
  it('conserves tokens and completions, and counts requests in flight at bucket ends', () => {
    const results = [req(0, 0, 100, [100, 100, 100], 4), req(1, 1, 50, [50], 2), req(2, 2, 1000, Array(9).fill(100), 20)];
    const ts = liveTimeSeries(results);
    expect(ts).toHaveLength(200);
    const width = ts[0]!.tS;
    expect(width * 200).toBeCloseTo(3.9, 9); // the last request ends at 2 + 1.9 s
    expect(ts.reduce((a, s) => a + s.outputTokensPerS * width, 0)).toBeCloseTo(26, 9);
    expect(ts.reduce((a, s) => a + s.requestsCompletedPerS * width, 0)).toBeCloseTo(3, 9);
    const at = (t: number) => ts.find((s) => s.tS >= t - 1e-9)!.running;
    expect(at(0.2)).toBe(1); // request 0 in flight [0, 0.4)
    expect(at(1.05)).toBe(1); // request 1 in flight [1, 1.1)
    expect(at(3.0)).toBe(1); // request 2 in flight [2, 3.9)
    expect(at(0.6)).toBe(0);
  });

  it('gives nothing when the results carry no send times', () => {
    expect(liveTimeSeries([req(0, 0, 1, [1], 2), req(1, 0, 1, [1], 2)])).toEqual([]);
  });

  it('peaks as vllm bench: tokens per second from the first send, exact in-flight peak', () => {
    // Request 0: [0, 0.4) with 4 tokens in its first second; 1: [1, 1.1), 2 tokens; 2: [2, 3.9), 20 tokens, 10 chunks
    // at 3.0, 3.1, ... 3.9: 2 tokens each, so second 3 (3.0..3.9) holds 20 of them.
    const p = livePeaks([req(0, 0, 100, [100, 100, 100], 4), req(1, 1, 50, [50], 2), req(2, 2, 1000, Array(9).fill(100), 20), req(3, 2.5, 10, [], 1)]);
    expect(p.maxOutputTokensPerS).toBeCloseTo(20, 9);
    expect(p.maxConcurrent).toBe(2); // requests 2 and 3 overlap at 2.5
  });
});
