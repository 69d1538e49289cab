/** Small synthetic report inputs for the report tests (not used by production code). */
import { cdfFromSorted } from '../metrics/cdf.js';
import type { ReportInput, RunSeries } from './types.js';

export function sampleRun(label: string, scale = 1): RunSeries {
  const ms = (base: number) => cdfFromSorted(Array.from({ length: 50 }, (_, i) => base * scale * (1 + i / 10)));
  return {
    label,
    cdf: { ttftMs: ms(100), tpotMs: ms(20), itlMs: ms(18), e2elMs: ms(2000) },
    timeSeries: Array.from({ length: 20 }, (_, i) => ({
      tS: i,
      outputTokensPerS: 1000 * scale + 10 * i,
      requestsCompletedPerS: 4 + (i % 3),
      queueLength: i % 5,
      running: 8,
      kvOccupancy: Math.min(1, i / 20),
    })),
    timeline: [
      { resource: 'gpu0', kind: 'prefill', startS: 0, endS: 0.2 },
      { resource: 'gpu1', kind: 'decode', startS: 0.3, endS: 1.5 },
      { resource: 'link gpu0->gpu1', kind: 'transfer', startS: 0.2, endS: 0.3, label: 'req 1 KV' },
      { resource: 'gpu1', kind: 'offload', startS: 1.5, endS: 1.7 },
    ],
    tiers: [0, 1, 2].flatMap((t) => [
      { tS: t, tier: 'gpu', occupancy: 0.3 * t },
      { tS: t, tier: 'cpu', occupancy: 0.1 * t },
    ]),
  };
}

export function sampleInput(labels: string[] = ['sim', 'live']): ReportInput {
  return {
    title: 'Quickstart',
    subtitle: 'scenarios/quickstart.yaml, seed 1',
    table: { columns: ['metric', ...labels], rows: [['TTFT p50 (ms)', ...labels.map((_, i) => 123.456 + i)], ['goodput (req/s)', ...labels.map(() => null)]] },
    runs: labels.map((l, i) => sampleRun(l, 1 + i / 5)),
    notes: ['uses uncalibrated GPU profile l4'],
  };
}
