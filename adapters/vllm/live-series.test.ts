import { describe, expect, it } from 'vitest';
import { liveTimeSeries } from './live-series.js';
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
});
