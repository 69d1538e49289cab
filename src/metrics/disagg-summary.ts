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
import type { PdCounters, TransferOutcome } from '../serving/disagg/pd-deployment.js';
import type { MetricsCollector } from './collector.js';
import { Distribution } from './distribution.js';
import { round6 } from '../round.js';

/** What the summary reads of a pool (the composition root's BuiltPool has it). */
export interface SummaryPool {
  gpu: GpuProfile;
  capacity: KvCapacity;
  instances: readonly EngineInstance[];
}

/** The P/D runtime's counters (PdCounters), aggregated: one per-request distribution per cause. */
export class TransferStats implements PdCounters {
  count = 0;
  bytes = 0;
  readonly durationMs = new Distribution();
  readonly exposedMs = new Distribution();
  readonly linkExposedMs = new Distribution();
  readonly reservationWaitMs = new Distribution();
  readonly stagingWaitMs = new Distribution();
  readonly overlap = new Distribution();
  readonly prefillTtftMs = new Distribution();
  hiddenMsSum = 0;
  transferMsSum = 0;
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

  transferred(o: TransferOutcome): void {
    this.count++;
    this.bytes += o.bytes;
    this.durationMs.add(o.transferMs);
    this.exposedMs.add(o.exposedMs);
    this.linkExposedMs.add(o.linkExposedMs);
    this.reservationWaitMs.add(o.reservationWaitMs);
    this.stagingWaitMs.add(o.stagingWaitMs);
    this.prefillTtftMs.add(o.prefillTtftMs);
    this.overlap.add(o.transferMs > 0 ? o.hiddenMs / o.transferMs : 0);
    this.hiddenMsSum += o.hiddenMs;
    this.transferMsSum += o.transferMs;
  }
}

/** mean / median / p90 / p99 of a per-request distribution (zeros when empty). */
export function spread(d: Distribution): Record<'mean' | 'median' | 'p90' | 'p99', number | null> {
  const n = d.count > 0;
  return { mean: round6(n ? d.mean() : 0), median: round6(n ? d.percentile(50) : 0), p90: round6(n ? d.percentile(90) : 0), p99: round6(n ? d.percentile(99) : 0) };
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
  /** KV occupancy samples per instance (`tier` = "gpu <instance>"), from the disaggregated sink. */
  occupancy?: readonly { tS: number; tier: string; occupancy: number }[];
}

/** Time-weighted mean and peak KV occupancy per instance, each sample held until the next (or `endS`). */
export function kvOccupancyByInstance(rows: readonly { tS: number; tier: string; occupancy: number }[], endS: number): Map<string, { mean: number; peak: number }> {
  const acc = new Map<string, { t0: number; lastT: number; last: number; integral: number; peak: number }>();
  for (const r of rows) {
    if (!r.tier.startsWith('gpu ')) continue;
    const name = r.tier.slice(4);
    const a = acc.get(name);
    if (!a) acc.set(name, { t0: r.tS, lastT: r.tS, last: r.occupancy, integral: 0, peak: r.occupancy });
    else {
      a.integral += a.last * (r.tS - a.lastT);
      a.lastT = r.tS;
      a.last = r.occupancy;
      a.peak = Math.max(a.peak, r.occupancy);
    }
  }
  const out = new Map<string, { mean: number; peak: number }>();
  for (const [name, a] of acc) {
    const end = Math.max(endS, a.lastT);
    const integral = a.integral + a.last * (end - a.lastT);
    out.set(name, { mean: end > a.t0 ? integral / (end - a.t0) : a.last, peak: a.peak });
  }
  return out;
}

/**
 * Per-GPU busy fraction, MFU and (weight-streaming) MBU from the instances' counters. A GPU shared by
 * instances (topology.sharedGpu) adds theirs up (they take turns, src/serving/gpu-turns.ts, so busy
 * time never overlaps) and lists each instance's own figures, KV cache included, under `instances`.
 */
export function gpuSummary(collector: MetricsCollector, pools: readonly SummaryPool[], gpusOf: (inst: EngineInstance, k: number) => readonly number[], kv?: ReadonlyMap<string, { mean: number; peak: number }>): Record<string, unknown> {
  const duration = collector.lastFinishS;
  const frac = (x: number) => round6(duration > 0 ? x / duration : 0);
  const byGpu = new Map<number, { names: string[]; gpu: string; busyS: number; flopsFrac: number; hbmFrac: number; own: Record<string, unknown>[] }>();
  for (const p of pools) {
    p.instances.forEach((inst, k) => {
      const st = collector.instances.get(inst.name);
      const perf = inst.perf;
      const busy = st ? st.busyS : 0;
      // Dense FLOPs of the tokens computed (2 x decoder params per token, split over TP ranks).
      const flops = st ? (2 * perf.sizes.nonEmbeddingParams * st.newTokensSum) / perf.tp : 0;
      // Weights read once per iteration (resident part); KV reads are not counted (a lower bound).
      const hbm = st ? st.iterations * (p.capacity.weightBytesPerGpu - p.capacity.offloadedWeightBytesPerGpu) : 0;
      const flopsFrac = flops / (p.gpu.fp16Tflops * 1e12);
      const hbmFrac = hbm / (p.gpu.hbmBandwidthGBps * 1e9);
      const own = {
        instance: inst.name,
        gpu: p.gpu.id,
        busy_fraction: round6(duration > 0 ? busy / duration : 0),
        mfu: round6(duration > 0 ? flops / (p.gpu.fp16Tflops * 1e12 * duration) : 0),
        mbu_weights: round6(duration > 0 ? hbm / (p.gpu.hbmBandwidthGBps * 1e9 * duration) : 0),
        ...(kv?.has(inst.name) ? { kv_occupancy_mean: round6(kv.get(inst.name)!.mean), kv_occupancy_peak: round6(kv.get(inst.name)!.peak) } : {}),
      };
      for (const g of gpusOf(inst, k)) {
        const a = byGpu.get(g);
        if (!a) byGpu.set(g, { names: [inst.name], gpu: p.gpu.id, busyS: busy, flopsFrac, hbmFrac, own: [own] });
        else {
          a.names.push(inst.name);
          a.busyS += busy;
          a.flopsFrac += flopsFrac;
          a.hbmFrac += hbmFrac;
          a.own.push(own);
        }
      }
    });
  }
  const out: Record<string, unknown> = {};
  for (const [g, a] of byGpu) {
    if (a.own.length === 1) out[`gpu${g}`] = a.own[0];
    else {
      out[`gpu${g}`] = {
        instance: a.names.join('+'), gpu: a.gpu, busy_fraction: frac(a.busyS), mfu: frac(a.flopsFrac), mbu_weights: frac(a.hbmFrac),
        instances: Object.fromEntries(a.own.map(({ instance, gpu: _g, ...rest }) => [instance as string, rest])),
      };
    }
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
      // Little's law: total wait / duration = time-weighted mean number of chunks waiting.
      mean_queue_length: round6(duration > 0 ? st.backPressureWaitS / duration : 0),
      max_queue: st.maxQueueLength,
    };
  }
  return {
    disaggregation: { transfer_policy: i.transfer?.policy, transfer_path: i.transfer?.path, decode_batching: i.decodePolicy, unfinished_transfers: i.pendingTransfers ?? 0 },
    // The prefill instance's own first token (discarded by the proxy); the top-level TTFT is the decode side's.
    prefill_ttft_ms: spread(s.prefillTtftMs),
    kv_transfer: {
      count: s.count,
      bytes_total: s.bytes,
      duration_ms: spread(s.durationMs),
      exposed_ms: spread(s.exposedMs),
      link_exposed_ms: spread(s.linkExposedMs),
      decode_reservation_wait_ms: spread(s.reservationWaitMs),
      staging_wait_ms: spread(s.stagingWaitMs),
      overlap_fraction: round6(s.transferMsSum > 0 ? s.hiddenMsSum / s.transferMsSum : 0),
      overlap_per_request: spread(s.overlap),
    },
    back_pressure: {
      decode_reservation_waits: s.reserveWaits,
      decode_queue_mean_length: round6(duration > 0 ? s.reserveWaitS / duration : 0),
      decode_queue_max: s.maxQueue,
      staging_queue_mean_length: round6(duration > 0 ? stagingWaitS / duration : 0),
    },
    gpus: gpuSummary(i.collector, i.pools, (inst) => i.gpusOf.get(inst) ?? [], i.occupancy ? kvOccupancyByInstance(i.occupancy, duration) : undefined),
    links,
    staging,
  };
}
