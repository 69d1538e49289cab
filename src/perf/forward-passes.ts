/**
 * Engines that run one scheduled step as several forward passes. llama.cpp with one KV stream per
 * sequence (node-llama-cpp's contexts: `kv_unified = false`) can put several sequences in one
 * forward pass (ubatch) only with the same number of tokens each (llama_batch_allocr::split_equal),
 * so a step that mixes decodes with prompt chunks cannot be one pass. pdsim's llama.cpp step loop
 * (adapters/llamacpp/step-loop.ts) therefore runs a step as:
 *   pass 1: one token of every sequence that has a one-token item (decodes), plus the first token
 *           of each prompt chunk, when at least one one-token item is scheduled;
 *   then:   each prompt chunk's remaining tokens as a pass of its own.
 * A step of prompt chunks only runs each chunk as its own pass. Every pass is priced by the wrapped
 * model as a whole iteration (its fixed costs, weight streaming included, paid once per pass), and
 * the step's time is their sum. Decode-only steps are one pass, so the decode fast path is unchanged.
 *
 * Selected by a device profile's `perf.forwardPasses: "one-token-then-chunks"`; absent: one pass per
 * step (vLLM, which fuses a whole step into one forward pass).
 */
import type { GpuProfile } from '../model/gpu.js';
import type { BatchEntry, DecodeCoefficients, IterationBreakdown, IterationTimes, OpGroupTime, PerfModel } from './perf-model.js';

/** The forward passes of one step, as the step loop issues them (see the module comment). */
export function forwardPasses(batch: readonly BatchEntry[]): BatchEntry[][] {
  const ones: BatchEntry[] = [];
  const chunks: BatchEntry[] = [];
  for (const e of batch) {
    if (e.newTokens === 1) ones.push(e);
    else if (e.newTokens > 1) chunks.push(e);
  }
  if (ones.length === 0) return chunks.map((c) => [c]);
  const first: BatchEntry[] = [...ones, ...chunks.map((c) => ({ newTokens: 1, contextTokens: c.contextTokens }))];
  return [first, ...chunks.map((c) => [{ newTokens: c.newTokens - 1, contextTokens: c.contextTokens + 1 }])];
}

export class SplitPassPerfModel implements PerfModel {
  constructor(private readonly inner: PerfModel) {}

  get arch() {
    return this.inner.arch;
  }
  get gpu() {
    return this.inner.gpu;
  }
  get tp() {
    return this.inner.tp;
  }
  get sizes() {
    return this.inner.sizes;
  }
  /** Per iteration, as the wrapped model streams it (no llama.cpp CPU profile offloads weights). */
  get weightStream() {
    return this.inner.weightStream;
  }

  iterationMs(batch: readonly BatchEntry[]): number {
    const passes = forwardPasses(batch);
    if (passes.length <= 1) return this.inner.iterationMs(batch);
    let ms = 0;
    for (const p of passes) ms += this.inner.iterationMs(p);
    return ms;
  }

  /** iteration()'s three times: the passes' summed in pass order, as iteration() sums them. */
  iterationTimes(batch: readonly BatchEntry[], out: IterationTimes): IterationTimes {
    const passes = forwardPasses(batch);
    const inner = this.inner;
    if (passes.length <= 1) {
      if (inner.iterationTimes !== undefined) return inner.iterationTimes(batch, out);
      const bd = inner.iteration(batch);
      out.totalMs = bd.totalMs;
      out.perLayerMs = bd.perLayerMs;
      out.outsideLayersMs = bd.outsideLayersMs;
      return out;
    }
    const bd = this.iteration(batch);
    out.totalMs = bd.totalMs;
    out.perLayerMs = bd.perLayerMs;
    out.outsideLayersMs = bd.outsideLayersMs;
    return out;
  }

  /** The passes' breakdowns merged: times, FLOPs and bytes add up group by group. */
  iteration(batch: readonly BatchEntry[]): IterationBreakdown {
    const passes = forwardPasses(batch);
    if (passes.length <= 1) return this.inner.iteration(batch);
    const parts = passes.map((p) => this.inner.iteration(p));
    const groups = new Map<string, OpGroupTime>();
    for (const part of parts) {
      for (const g of part.groups) {
        const o = groups.get(g.name);
        if (o) groups.set(g.name, { ...o, ms: o.ms + g.ms, flops: o.flops + g.flops, bytes: o.bytes + g.bytes });
        else groups.set(g.name, { ...g });
      }
    }
    const sum = (f: (b: IterationBreakdown) => number): number => parts.reduce((a, b) => a + f(b), 0);
    return {
      totalMs: sum((b) => b.totalMs),
      perLayerMs: sum((b) => b.perLayerMs),
      outsideLayersMs: sum((b) => b.outsideLayersMs),
      groups: [...groups.values()],
      flops: sum((b) => b.flops),
      hbmBytes: sum((b) => b.hbmBytes),
    };
  }

  decodeCoefficients(batchSize: number): DecodeCoefficients {
    return this.inner.decodeCoefficients(batchSize);
  }
}

/** The model a device's engine runs a step with: split into passes where its profile says so. */
export function withForwardPasses(model: PerfModel, gpu: GpuProfile): PerfModel {
  return gpu.perf.forwardPasses === 'one-token-then-chunks' ? new SplitPassPerfModel(model) : model;
}
