/**
 * The plan report's charts (Vega-Lite): every evaluated candidate as a point (throughput per GPU
 * or per dollar against latency, with the 95% interval of the throughput as an error bar) and the
 * Pareto frontier as a step line through its members.
 */
import type { PlanLine } from './frontier.js';

export function frontierChart(lines: readonly PlanLine[], front: readonly number[], axis: 'perGpu' | 'perDollar', latencyTitle: string): Record<string, unknown> | undefined {
  const scale = (l: PlanLine) => (axis === 'perGpu' ? 1 / l.gpus : l.costPerHour ? 3600 / l.costPerHour : NaN);
  const onFront = new Set(front);
  const values = lines.flatMap((l, i) => {
    if (l.status !== 'ok' || !l.maxRate || !l.latencyMs) return [];
    const k = scale(l);
    if (!Number.isFinite(k)) return [];
    return [{ candidate: l.label, latencyMs: l.latencyMs.mean, value: l.maxRate.mean * k, lo: l.maxRate.lo * k, hi: l.maxRate.hi * k, frontier: onFront.has(i) ? 'frontier' : 'dominated', gpus: l.gpus }];
  });
  if (values.length === 0) return undefined;
  const y = axis === 'perGpu' ? 'max rate per GPU (req/s)' : 'requests per dollar';
  const x = { field: 'latencyMs', type: 'quantitative', title: `${latencyTitle} at that rate (ms)`, scale: { zero: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${axis === 'perGpu' ? 'Throughput per GPU' : 'Throughput per dollar'} vs latency (highest rate meeting the SLO target)`,
    width: 640,
    height: 300,
    data: { values },
    layer: [
      { mark: { type: 'rule', opacity: 0.5 }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: y }, y2: { field: 'hi' }, color: { field: 'frontier', type: 'nominal' } } },
      { mark: { type: 'point', filled: true }, encoding: { x, y: { field: 'value', type: 'quantitative', title: y }, color: { field: 'frontier', type: 'nominal', scale: { domain: ['frontier', 'dominated'], range: ['#e45756', '#bab0ac'] } }, tooltip: [{ field: 'candidate' }, { field: 'value', format: '.3f' }, { field: 'latencyMs', format: '.1f' }, { field: 'gpus' }] } },
      { transform: [{ filter: "datum.frontier === 'frontier'" }], mark: { type: 'line', interpolate: 'step-after', color: '#e45756' }, encoding: { x, y: { field: 'value', type: 'quantitative' } } },
    ],
  };
}
