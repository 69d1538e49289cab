/**
 * `kv_tiers` and `swap` under summary.json `pdsim`, and the tier occupancy series of the report, from
 * the instances' KV tiers (src/serving/kv-tiers.ts). Definitions: docs/metrics.md, "KV tiers".
 */
import type { EngineInstance } from '../serving/instance.js';
import type { TierOccupancyRow } from '../serving/kv-tiers.js';

/** `kv_tiers` and `swap` (only the parts in use). */
export function kvTiersSummary(instances: readonly EngineInstance[], durationS: number): Record<string, unknown> {
  const tiers: Record<string, unknown> = {};
  const swap: Record<string, unknown> = {};
  for (const inst of instances) {
    const t = inst.tiers;
    if (t === null) continue;
    const a = t.tierSummary(durationS);
    if (a !== undefined) tiers[inst.name] = a;
    const b = t.swapSummary(durationS);
    if (b !== undefined) swap[inst.name] = b;
  }
  const out: Record<string, unknown> = {};
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
