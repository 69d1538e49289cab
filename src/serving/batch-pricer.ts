/**
 * Prices one scheduled iteration of an engine instance (src/serving/instance.ts) entry by entry
 * with the perf model, reusing its batch entries (no allocation per iteration), and calls the
 * prefill-iteration hook (layer-wise KV streaming) with the per-layer breakdown where it is set.
 * Decode-only iterations are priced by the instance itself from the perf model's decode
 * coefficients (the fast path); this is the general case: prefill chunks and mixed batches.
 */
import type { BatchEntry, IterationTimes, PerfModel } from '../perf/perf-model.js';
import type { InstanceHooks } from './instance-config.js';
import type { RequestState } from './request-state.js';

/** The sink's kind of a batch that is not decode-only. */
export function mixedKind(batch: RequestState[]): 'prefill' | 'mixed' {
  // A loop, not every(): no closure per prefill step.
  for (const r of batch) if (r.generated > 0 && r.numTokens - r.numComputed <= 1) return 'mixed';
  return 'prefill';
}

export class BatchPricer {
  /** Reused batch entries for pricing an iteration (no per-iteration allocation). */
  private readonly entries: BatchEntry[] = [];
  private readonly entryPool: BatchEntry[] = [];
  /** Reused by every priced step: the hook reads it during its call only. */
  private readonly times: IterationTimes = { totalMs: 0, perLayerMs: 0, outsideLayersMs: 0 };

  constructor(
    private readonly perf: PerfModel,
    private readonly hooks: InstanceHooks,
  ) {}

  /** End of an iteration priced alone (entry by entry), calling the prefill-iteration hook. */
  price(batch: RequestState[], startS: number): number {
    const entries = this.entries;
    const n = batch.length;
    // Sized to the batch: grown by push, cut only when shorter (`length =` is a runtime call).
    while (entries.length < n) entries.push((this.entryPool[entries.length] ??= { newTokens: 0, contextTokens: 0 }));
    if (entries.length > n) entries.length = n;
    for (let i = 0; i < n; i++) {
      const e = entries[i]!;
      e.newTokens = batch[i]!.scheduled;
      e.contextTokens = batch[i]!.numComputed;
    }
    if (this.hooks.onPrefillIteration) {
      // Layer-wise KV streaming needs the per-layer split; iterationMs equals its total exactly.
      // Three times in a reused object where the model gives them (no breakdown's groups per step).
      const times = this.perf.iterationTimes !== undefined ? this.perf.iterationTimes(entries, this.times) : this.perf.iteration(entries);
      for (const r of batch) if (r.generated === 0 && r.numComputed + r.scheduled === r.numTokens) this.hooks.onPrefillIteration(r, startS, times);
      return startS + times.totalMs / 1000;
    }
    return startS + this.perf.iterationMs(entries) / 1000;
  }
}
