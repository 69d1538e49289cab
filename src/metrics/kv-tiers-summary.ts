/**
 * `kv_tiers` and `swap` under summary.json `pdsim`, and the tier occupancy series of the report, from
 * the instances' KV tiers (src/serving/kv-tiers.ts). Definitions: docs/metrics.md, "KV tiers".
 */
import type { EngineInstance } from '../serving/instance.js';
import type { KvTierCounters, TierOccupancyRow } from '../serving/kv-tiers.js';
import { round6 } from '../round.js';
import type { KvTierFigures, SwapFigures, TierFigures } from './summary-schema.js';

/** summary.pdsim.kv_tiers[instance], or undefined without a CPU tier. */
export function tierFigures(k: KvTierCounters): KvTierFigures | undefined {
  const st = k.store;
  if (st === null) return undefined;
  const { cfg, c, spanS: span } = k;
  const bs = cfg.blockSizeTokens;
  const bb = cfg.blockBytes;
  const tierHit = c.cpuHitBlocks + c.diskHitBlocks;
  const rate = (blocks: number) => round6(c.queriedTokens > 0 ? (blocks * bs) / c.queriedTokens : 0);
  // The keys a CPU and a disk tier share: size, occupancy (peak, time-weighted mean), hits.
  const tier = (blocks: number, peak: number, blockSeconds: number, held: number, hits: number) => ({
    capacity_blocks: blocks,
    capacity_bytes: blocks * bb,
    peak_occupancy: round6(peak / blocks),
    mean_occupancy: round6(span > 0 ? blockSeconds / span / blocks : 0),
    held_blocks_end: held,
    hit_blocks: hits,
    hit_tokens: hits * bs,
    hit_rate: rate(hits),
  });
  const out: KvTierFigures = {
    block_bytes: bb,
    lookups: c.lookups,
    queried_tokens: c.queriedTokens,
    gpu_hit_tokens: c.gpuHitBlocks * bs,
    gpu_hit_rate: rate(c.gpuHitBlocks),
    tier_hit_tokens: tierHit * bs,
    tier_hit_rate: rate(tierHit),
    cpu: {
      ...tier(cfg.cpuBlocks, k.cpuPeakBlocks, k.cpuBlockSeconds, st.cpuHeld, c.cpuHitBlocks),
      stored_blocks: c.storedBlocks,
      store_calls: st.storeCalls,
      evictions: cfg.diskBlocks > 0 ? 0 : st.evictions,
      demotions: st.demotions,
      bytes_d2h: c.bytesD2H - c.swapBytesOut,
      bytes_h2d: c.bytesH2D - c.swapBytesIn,
    },
    loads: {
      count: c.loadsDone,
      loaded_tokens: tierHit * bs,
      mean_wait_ms: round6(c.loadsDone > 0 ? (c.loadWaitS / c.loadsDone) * 1000 : 0),
      max_wait_ms: round6(c.loadWaitMaxS * 1000),
    },
  };
  if (cfg.diskBlocks > 0) {
    out.disk = {
      ...tier(cfg.diskBlocks, k.diskPeakBlocks, k.diskBlockSeconds, st.diskHeld, c.diskHitBlocks),
      evictions: st.evictions,
      promotions: st.promotions,
      bytes_written: c.bytesToDisk,
      bytes_read: c.bytesFromDisk,
    };
  }
  return out;
}

/** summary.pdsim.swap[instance], or undefined when swap is off. */
export function swapFigures(k: KvTierCounters): SwapFigures | undefined {
  if (!k.swapEnabled) return undefined;
  const { cfg, c, spanS: span } = k;
  return {
    capacity_blocks: cfg.swapBlocks,
    capacity_bytes: cfg.swapBlocks * cfg.blockBytes,
    swap_outs: c.swapOuts,
    swap_ins: c.swapIns,
    recompute_fallbacks: c.swapFallbacks,
    peak_occupancy: round6(c.swapPeak / cfg.swapBlocks),
    mean_occupancy: round6(span > 0 ? k.swapBlockSeconds / span / cfg.swapBlocks : 0),
    bytes_out: c.swapBytesOut,
    bytes_in: c.swapBytesIn,
    mean_swap_in_wait_ms: round6(c.swapIns > 0 ? (c.swapWaitS / c.swapIns) * 1000 : 0),
  };
}

/** `kv_tiers` and `swap` (only the parts in use). */
export function kvTiersSummary(instances: readonly EngineInstance[], durationS: number): TierFigures {
  const tiers: Record<string, KvTierFigures> = {};
  const swap: Record<string, SwapFigures> = {};
  for (const inst of instances) {
    const t = inst.tiers;
    if (t === null) continue;
    const k = t.counters(durationS);
    const a = tierFigures(k);
    if (a !== undefined) tiers[inst.name] = a;
    const b = swapFigures(k);
    if (b !== undefined) swap[inst.name] = b;
  }
  const out: TierFigures = {};
  if (Object.keys(tiers).length > 0) out.kv_tiers = tiers;
  if (Object.keys(swap).length > 0) out.swap = swap;
  return out;
}

/** CPU/disk tier occupancy rows of every instance. */
export function kvTierSeries(instances: readonly EngineInstance[]): TierOccupancyRow[] {
  return instances.flatMap((i) => i.tiers?.series ?? []);
}

/** At most ~300 points per tier, for the report. */
export function thin(rows: TierOccupancyRow[]): TierOccupancyRow[] {
  const by = new Map<string, TierOccupancyRow[]>();
  for (const r of rows) {
    let a = by.get(r.tier);
    if (!a) by.set(r.tier, (a = []));
    a.push(r);
  }
  const out: TierOccupancyRow[] = [];
  for (const a of by.values()) {
    const step = Math.max(1, Math.ceil(a.length / 300));
    for (let i = 0; i < a.length; i += step) out.push(a[i]!);
  }
  return out;
}
