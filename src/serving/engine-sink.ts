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
}
