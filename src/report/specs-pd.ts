/**
 * Charts of a disaggregated (P/D) run, from what the run already reports (no extra serving hooks):
 *   - the KV transfer time CDF (requests.jsonl `kvTransferMs`, start of transfer to KV ready);
 *   - per-link bandwidth over time, estimated: the timeline's transfer bars give when each link
 *     direction carried KV, and the links summary its mean rate while carrying (bytes / busy time),
 *     so each time bucket gets busy seconds x that rate. Exact in total bytes per link; within the
 *     busy time it shows the mean rate, not the momentary max-min share;
 *   - back-pressure: per-instance waiting requests and KV occupancy over time (prefill KV held until
 *     the decode side pulls it; decode slots and blocks reserved ahead of the pull), titled with the
 *     summary's decode-reservation counters.
 */
import type { TopLevelSpec } from 'vega-lite';
import { cdfSpec } from './spec-cdf.js';
import { HEIGHT_PX, SCHEMA, WIDTH_PX } from './spec-parts.js';
import type { RunSeries } from './types.js';
import { MAX_TIMELINE_SEGMENTS } from '../metrics/collector.js';

/** Buckets of the bandwidth chart. */
const LINK_BUCKETS = 120;

/** Estimated GB/s per link direction and time bucket, from one run's transfer bars. */
export function linkBandwidthRows(run: RunSeries): { run: string; link: string; tS: number; GBps: number }[] {
  const rates = run.linkBusyGBps ?? {};
  const bars = (run.timeline ?? []).filter((s) => s.kind === 'transfer' && rates[s.resource] !== undefined);
  if (bars.length === 0) return [];
  const t0 = Math.min(...bars.map((b) => b.startS));
  const t1 = Math.max(...bars.map((b) => b.endS));
  const width = (t1 - t0) / LINK_BUCKETS || 1e-3;
  const rows: { run: string; link: string; tS: number; GBps: number }[] = [];
  for (const link of Object.keys(rates).sort()) {
    // Busy time is the union of this link's bars: overlapping transfers share the link, they do not add to its rate.
    const spans = bars.filter((b) => b.resource === link).map((b) => [b.startS, b.endS] as [number, number]).sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const sp of spans) {
      const last = merged.at(-1);
      if (last && sp[0] <= last[1]) last[1] = Math.max(last[1], sp[1]);
      else merged.push([sp[0], sp[1]]);
    }
    const busy = new Float64Array(LINK_BUCKETS);
    for (const [a, b] of merged) {
      for (let k = Math.max(0, Math.floor((a - t0) / width)); k < LINK_BUCKETS && t0 + k * width < b; k++) {
        const lo = Math.max(a, t0 + k * width);
        const hi = Math.min(b, t0 + (k + 1) * width);
        if (hi > lo) busy[k]! += hi - lo;
      }
    }
    for (let k = 0; k < LINK_BUCKETS; k++) rows.push({ run: run.label, link, tS: t0 + (k + 0.5) * width, GBps: (busy[k]! / width) * rates[link]! });
  }
  return rows;
}

export function pdCharts(runs: readonly RunSeries[]): { id: string; spec: TopLevelSpec }[] {
  const out: { id: string; spec: TopLevelSpec }[] = [];
  const cdf = cdfSpec(runs, (r) => r.kvTransferMs, 'KV transfer time per request (P/D)', 'transfers');
  if (cdf) out.push({ id: 'chart-kv-transfer', spec: cdf });
  runs.forEach((run, i) => {
    const rows = linkBandwidthRows(run);
    if (rows.length > 0) {
      out.push({
        id: `chart-link-bw-${i}`,
        spec: {
          $schema: SCHEMA,
          title: {
            text: `KV bandwidth per link over time: ${run.label}`,
            subtitle: `estimated: busy time per bucket x the link's mean rate while carrying KV${(run.timeline?.length ?? 0) >= MAX_TIMELINE_SEGMENTS ? ` (until ${rows.at(-1)!.tS.toFixed(1)} s: the timeline keeps the first ${MAX_TIMELINE_SEGMENTS} bars)` : ''}`,
          },
          width: WIDTH_PX,
          height: HEIGHT_PX,
          data: { values: rows },
          mark: { type: 'line', interpolate: 'step', tooltip: true },
          encoding: {
            x: { field: 'tS', type: 'quantitative', title: 'time (s)' },
            y: { field: 'GBps', type: 'quantitative', title: 'bandwidth (GB/s)' },
            color: { field: 'link', type: 'nominal', title: 'link direction' },
          },
        } as TopLevelSpec,
      });
    }
    const inst = run.instances ?? [];
    if (inst.length > 0 && run.backPressure) {
      const bp = run.backPressure;
      const values = inst.flatMap((s) => [
        { instance: s.instance, tS: s.tS, figure: 'waiting requests', value: s.waiting },
        { instance: s.instance, tS: s.tS, figure: 'KV occupancy (%)', value: s.kvOccupancy * 100 },
      ]);
      out.push({
        id: `chart-backpressure-${i}`,
        spec: {
          $schema: SCHEMA,
          title: {
            text: `Back-pressure per instance: ${run.label}`,
            subtitle: `decode reservations that waited: ${bp.decodeReservationWaits} (time-weighted mean queue ${bp.decodeQueueMeanLength.toFixed(3)}), longest decode reservation queue ${bp.decodeQueueMax}`,
          },
          width: WIDTH_PX,
          height: 140,
          data: { values },
          mark: { type: 'line', interpolate: 'step-after', tooltip: true },
          encoding: {
            x: { field: 'tS', type: 'quantitative', title: 'time (s)' },
            y: { field: 'value', type: 'quantitative', title: null },
            color: { field: 'instance', type: 'nominal', title: 'instance' },
            row: { field: 'figure', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left' } },
          },
          resolve: { scale: { y: 'independent' } },
        } as TopLevelSpec,
      });
    }
  });
  return out;
}
