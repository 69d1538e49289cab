/**
 * The figures a disaggregated deployment adds under summary.json `pdsim` (definitions:
 * docs/metrics.md, "Disaggregation and tiers"): KV transfers, back-pressure, per-GPU busy fraction,
 * MFU and MBU, per link direction utilisation, staging buffer occupancy.
 */
import type { FlowNetwork } from '../hardware/flow-network.js';
import type { StagingBuffer } from '../kv/staging-buffer.js';
import type { GpuProfile } from '../model/gpu.js';
import type { KvCapacity } from '../serving/kv-capacity.js';
import type { EngineInstance } from '../serving/instance.js';
import type { PdCounters } from '../serving/disagg/pd-deployment.js';
import type { MetricsCollector } from './collector.js';
import { Distribution } from './distribution.js';
import { round6 } from '../round.js';

/** What the summary reads of a pool (the composition root's BuiltPool has it). */
export interface SummaryPool {
  gpu: GpuProfile;
  capacity: KvCapacity;
  instances: readonly EngineInstance[];
}

/** The P/D runtime's counters (PdCounters), aggregated. */
export class TransferStats implements PdCounters {
  count = 0;
  bytes = 0;
  readonly durationMs = new Distribution();
  exposedMsSum = 0;
  exposedMaxMs = 0;
  movingS = 0;
  overlapS = 0;
  reserveWaits = 0;
  reserveWaitS = 0;
  maxQueue = 0;

  reserved(waitS: number): void {
    this.reserveWaitS += waitS;
  }

  queued(queueLength: number): void {
    this.reserveWaits++;
    this.maxQueue = Math.max(this.maxQueue, queueLength);
  }

  transferred(bytes: number, durationMs: number, exposedMs: number, movingS: number, overlapS: number): void {
    this.count++;
    this.bytes += bytes;
    this.durationMs.add(durationMs);
    this.exposedMsSum += exposedMs;
    this.exposedMaxMs = Math.max(this.exposedMaxMs, exposedMs);
    this.movingS += movingS;
    this.overlapS += overlapS;
  }
}

export interface DisaggSummaryInput {
  collector: MetricsCollector;
  stats: TransferStats;
  net?: FlowNetwork;
  pools: readonly SummaryPool[];
  gpusOf: ReadonlyMap<EngineInstance, readonly number[]>;
  staging?: Map<number, StagingBuffer>;
  transfer?: { policy: string; path: string };
  decodePolicy?: string;
  pendingTransfers?: number;
  decodeQueue?: number;
}

/** Per-GPU busy fraction, MFU and (weight-streaming) MBU from the instances' counters. */
export function gpuSummary(collector: MetricsCollector, pools: readonly SummaryPool[], gpusOf: (inst: EngineInstance, k: number) => readonly number[]): Record<string, unknown> {
  const duration = collector.lastFinishS;
  const out: Record<string, unknown> = {};
  for (const p of pools) {
    p.instances.forEach((inst, k) => {
      const st = collector.instances.get(inst.name);
      const perf = inst.perf;
      const busy = st ? st.busyS : 0;
      // Dense FLOPs of the tokens computed (2 x decoder params per token, split over TP ranks).
      const flops = st ? (2 * perf.sizes.nonEmbeddingParams * st.newTokensSum) / perf.tp : 0;
      // Weights read once per iteration (resident part); KV reads are not counted (a lower bound).
      const hbm = st ? st.iterations * (p.capacity.weightBytesPerGpu - p.capacity.offloadedWeightBytesPerGpu) : 0;
      for (const g of gpusOf(inst, k)) {
        out[`gpu${g}`] = {
          instance: inst.name,
          gpu: p.gpu.id,
          busy_fraction: round6(duration > 0 ? busy / duration : 0),
          mfu: round6(duration > 0 ? flops / (p.gpu.fp16Tflops * 1e12 * duration) : 0),
          mbu_weights: round6(duration > 0 ? hbm / (p.gpu.hbmBandwidthGBps * 1e9 * duration) : 0),
        };
      }
    });
  }
  return out;
}

/** Per channel that carried bytes: utilisation, busy fraction, bytes, peak load (docs/metrics.md). */
export function linkSummary(net: FlowNetwork, duration: number): Record<string, unknown> {
  const links: Record<string, unknown> = {};
  for (const id of net.channelIds()) {
    const c = net.channelStats(id);
    if (c.bytesCarried === 0) continue;
    links[id] = {
      utilisation: round6(duration > 0 ? c.utilisationIntegralS / duration : 0),
      busy_fraction: round6(duration > 0 ? c.busyS / duration : 0),
      bytes: c.bytesCarried,
      peak_load_fraction: round6(c.peakLoadBytesPerS / c.capacityBytesPerS),
    };
  }
  return links;
}

export function disaggSummary(i: DisaggSummaryInput): Record<string, unknown> {
  const duration = i.collector.lastFinishS;
  const s = i.stats;
  const links: Record<string, unknown> = i.net ? linkSummary(i.net, duration) : {};
  const staging: Record<string, unknown> = {};
  let stagingWaitS = 0;
  for (const [n, b] of i.staging ?? []) {
    const st = b.stats();
    stagingWaitS += st.backPressureWaitS;
    staging[`node${n}`] = {
      capacity_bytes: st.capacityBytes,
      peak_occupancy: round6(st.peakUsedBytes / st.capacityBytes),
      mean_occupancy: round6(st.meanUsedBytes / st.capacityBytes),
      waits: st.waits,
      back_pressure_s: round6(st.backPressureWaitS),
      max_queue: st.maxQueueLength,
    };
  }
  return {
    disaggregation: { transfer_policy: i.transfer?.policy, transfer_path: i.transfer?.path, decode_batching: i.decodePolicy, unfinished_transfers: i.pendingTransfers ?? 0 },
    kv_transfer: {
      count: s.count,
      bytes_total: s.bytes,
      mean_ms: round6(s.count > 0 ? s.durationMs.mean() : 0),
      p99_ms: round6(s.count > 0 ? s.durationMs.percentile(99) : 0),
      exposed_mean_ms: round6(s.count > 0 ? s.exposedMsSum / s.count : 0),
      exposed_max_ms: round6(s.exposedMaxMs),
      overlap_fraction: round6(s.movingS > 0 ? s.overlapS / s.movingS : 0),
    },
    back_pressure: {
      decode_reservation_waits: s.reserveWaits,
      decode_reservation_wait_s: round6(s.reserveWaitS),
      decode_queue_max: s.maxQueue,
      staging_wait_s: round6(stagingWaitS),
    },
    gpus: gpuSummary(i.collector, i.pools, (inst) => i.gpusOf.get(inst) ?? []),
    links,
    staging,
  };
}
