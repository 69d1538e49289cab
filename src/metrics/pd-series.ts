/**
 * The P/D report data of a run, from what the collector and the summary already hold: the KV
 * transfer time CDF, each link direction's mean rate while it carried bytes (links summary:
 * bytes / (busy_fraction x duration)), per-instance gauges and the back-pressure counters. Empty
 * for a colocated run.
 */
import { cdfFromQuantiles } from './cdf.js';
import type { RunSeries } from './run-series.js';
import type { MetricsCollector } from './collector.js';
import type { Summary } from './summary-schema.js';

type PdSeries = Pick<RunSeries, 'kvTransferMs' | 'linkBusyGBps' | 'instances' | 'backPressure'>;

export function pdSeries(collector: MetricsCollector, summary: Summary): PdSeries {
  if (collector.kvTransferMs.count === 0) return {};
  const duration = summary.duration ?? 0;
  const linkBusyGBps: Record<string, number> = {};
  for (const [id, l] of Object.entries(summary.pdsim.links ?? {})) {
    const busyS = (l.busy_fraction ?? 0) * duration;
    if (busyS > 0 && l.bytes > 0) linkBusyGBps[id] = l.bytes / busyS / 1e9;
  }
  const bp = summary.pdsim.back_pressure;
  return {
    kvTransferMs: cdfFromQuantiles(collector.kvTransferMs.quantile),
    linkBusyGBps,
    instances: collector.series.rowsBySource(collector.lastFinishS),
    backPressure: bp ? { decodeReservationWaits: bp.decode_reservation_waits, decodeQueueMeanLength: bp.decode_queue_mean_length ?? 0, decodeQueueMax: bp.decode_queue_max } : undefined,
  };
}
