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
    kvTransferMs: cdfFromSorted(Array.from({ length: 50 }, (_, i) => 5 * scale * (1 + i / 20))),
    linkBusyGBps: { 'link gpu0->gpu1': 12.5 },
    instances: [0, 1, 2].flatMap((t) => [
      { tS: t, instance: 'prefill0', waiting: t, running: 1, kvOccupancy: 0.1 * t },
      { tS: t, instance: 'decode0', waiting: 2 - t, running: 4, kvOccupancy: 0.3 * t },
    ]),
    backPressure: { decodeReservationWaits: 3, decodeQueueMeanLength: 0.25, decodeQueueMax: 2 },
  };
}

/** A sweep of the arrival rate over three values, figures rising with load. */
export function sampleSweepInput(): ReportInput {
  const figures = (rate: number) => ({
    ...Object.fromEntries(['ttft', 'tpot', 'itl', 'e2el'].flatMap((m, k) => [['median', 1], ['p90', 2], ['p99', 4]].map(([s, f]) => [`${s}_${m}_ms`, (10 + k) * (f as number) * rate]))),
    request_throughput: rate * 0.98, request_goodput: rate * (1 - rate / 20), output_throughput: rate * 150,
  });
  const rates = [2, 4, 8];
  return {
    title: 'Sweep',
    runs: rates.map((r) => ({ ...sampleRun(`workload.arrival.rate=${r}`, r / 4), timeline: undefined })),
    table: { columns: ['workload.arrival.rate', 'request_throughput', 'output_throughput', 'request_goodput', 'median_ttft_ms', 'p99_ttft_ms', 'mean_tpot_ms', 'p99_tpot_ms', 'median_e2el_ms', 'completed', 'failed'], rows: rates.map((r) => [String(r), r, r * 150, r * 0.9, 12.3456, 45.678, 14.2, 20.3, 1500.25, 2000, 0]) },
    sweep: { field: 'workload.arrival.rate', points: rates.map((r) => ({ value: String(r), figures: figures(r) })) },
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
