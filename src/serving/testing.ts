/**
 * Test helpers: a perf model with hand-chosen constant costs, and an engine sink that records what
 * it is told, so scheduler and metric tests can be computed by hand.
 */
import type { LlmArchitecture } from '../model/architecture.js';
import { deriveSizes } from '../model/architecture.js';
import type { GpuProfile } from '../model/gpu.js';
import type { BatchEntry, DecodeCoefficients, IterationBreakdown, PerfModel } from '../perf/perf-model.js';
import type { EngineSink } from './engine-sink.js';
import type { RequestState } from './request-state.js';

export const TINY_ARCH: LlmArchitecture = {
  id: 'tiny', name: 'tiny', hfId: 'none', source: 'test', numLayers: 2, hiddenSize: 64, numHeads: 4, numKvHeads: 4, headDim: 16,
  intermediateSize: 128, vocabSize: 100, tiedEmbeddings: true, qkvBias: false, gatedMlp: true, maxPositionEmbeddings: 4096, dtype: 'float16',
};

/** Iteration = baseMs + perTokenMs x new tokens + perContextMs x context tokens (affine, like the real one for decode). */
export class LinearPerfModel implements PerfModel {
  readonly tp = 1;
  readonly arch = TINY_ARCH;
  readonly gpu = {} as GpuProfile;
  readonly sizes = deriveSizes(TINY_ARCH);
  constructor(
    readonly baseMs: number,
    readonly perTokenMs: number,
    readonly perContextMs = 0,
  ) {}
  iterationMs(batch: readonly BatchEntry[]): number {
    let t = this.baseMs;
    for (const e of batch) t += this.perTokenMs * e.newTokens + this.perContextMs * e.contextTokens;
    return t;
  }
  iteration(batch: readonly BatchEntry[]): IterationBreakdown {
    const totalMs = this.iterationMs(batch);
    return { totalMs, perLayerMs: totalMs / 2, outsideLayersMs: 0, groups: [], flops: 0, hbmBytes: 0 };
  }
  decodeCoefficients(batchSize: number): DecodeCoefficients {
    return { fixedMs: this.baseMs + this.perTokenMs * batchSize, perContextTokenMs: this.perContextMs };
  }
}

export interface IterationLog {
  instance: string;
  startS: number;
  endS: number;
  batchSize: number;
  newTokens: number;
  kind: string;
}

export class RecordingSink implements EngineSink {
  readonly iterations: IterationLog[] = [];
  readonly finished: { id: number; timeS: number; error?: string; firstTokenS: number | null; generated: number; preemptions: number }[] = [];
  readonly itls: [number, number][] = [];
  tokensTotal = 0;
  preemptions = 0;
  nextGaugeS = Infinity;
  firstToken(): void {}
  tokens(_t: number, n: number): void {
    this.tokensTotal += n;
  }
  itl(gapS: number, weight: number): void {
    this.itls.push([gapS, weight]);
  }
  finish(req: RequestState, timeS: number, _instance: string, error?: string): void {
    this.finished.push({ id: req.spec.id, timeS, error, firstTokenS: req.firstTokenS, generated: req.generated, preemptions: req.preemptions });
  }
  iteration(instance: string, startS: number, endS: number, batchSize: number, newTokens: number, kind: string): void {
    this.iterations.push({ instance, startS, endS, batchSize, newTokens, kind });
  }
  gauges(): void {}
  preemption(): void {
    this.preemptions++;
  }
}
