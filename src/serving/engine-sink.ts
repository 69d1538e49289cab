/**
 * What an engine instance reports as it runs. The metrics collector implements it; the engine
 * knows nothing of how figures are aggregated or written.
 */
import type { RequestState } from './request-state.js';
import type { RequestRecord } from './types.js';

/** One bar of the compute/transfer timeline. */
export interface ResourceSegment {
  resource: string;
  kind: string;
  startS: number;
  endS: number;
}

export interface EngineSink {
  /** First output token of a request (end of its prefill). */
  firstToken(req: RequestState, timeS: number): void;
  /** `count` output tokens emitted at `timeS` (throughput accounting). */
  tokens(timeS: number, count: number): void;
  /** `weight` inter-token gaps of `gapS` seconds each. */
  itl(gapS: number, weight: number): void;
  /** A request left the engine: finished (error undefined) or failed; `extra` adds fields to its record. */
  finish(req: RequestState, timeS: number, instance: string, error?: string, extra?: Partial<RequestRecord>): void;
  /** One iteration ran on `instance` from startS to endS. */
  iteration(instance: string, startS: number, endS: number, batchSize: number, newTokens: number, kind: 'prefill' | 'decode' | 'mixed'): void;
  /** Next time at which gauges should be sampled (the collector's bucket boundary). */
  readonly nextGaugeS: number;
  /** Gauges of one instance at `timeS`. */
  gauges(instance: string, timeS: number, running: number, waiting: number, usedBlocks: number, totalBlocks: number): void;
  preemption(instance: string): void;
  /** A bar of the timeline that is not an iteration (a KV transfer on a link). */
  segment?(seg: ResourceSegment): void;
  /**
   * Optional, for speed: `n` consecutive decode iterations of `batchSize` sequences on `instance`,
   * the first starting at `startS`, the i-th ending at `endsS[i]`; each of the first `emitting`
   * also emitted one token per sequence, its own duration being every sequence's gap. Must do
   * exactly what the equivalent iteration/itl/tokens calls would, in the same order per figure
   * (decodeRunByCalls is that sequence, for sinks without it).
   */
  decodeRun?(instance: string, startS: number, endsS: Float64Array, n: number, emitting: number, batchSize: number): void;
}

/** decodeRun as single calls, iteration by iteration. */
export function decodeRunByCalls(sink: EngineSink, instance: string, startS: number, endsS: Float64Array, n: number, emitting: number, batchSize: number): void {
  let start = startS;
  for (let i = 0; i < n; i++) {
    const end = endsS[i]!;
    sink.iteration(instance, start, end, batchSize, batchSize, 'decode');
    if (i < emitting) {
      sink.itl(end - start, batchSize);
      sink.tokens(end, batchSize);
    }
    start = end;
  }
}
