/**
 * The engine sink of a disaggregated deployment: passes everything to the sink it wraps (the metrics collector), and on
 * the way records what disaggregation metrics need: per-instance KV occupancy (tier series), and the per-request extras
 * (transfer times, "p0->d1" replica label) that go into requests.jsonl.
 */
import { decodeRunByCalls, type EngineSink, type ResourceSegment } from '../engine-sink.js';
import type { RequestState } from '../request-state.js';
import type { RequestRecord } from '../types.js';

export class DisaggSink implements EngineSink {
  readonly extras = new Map<number, Partial<RequestRecord>>();
  readonly occupancy: { tS: number; tier: string; occupancy: number }[] = [];

  constructor(private readonly c: EngineSink) {}

  get nextGaugeS(): number {
    return this.c.nextGaugeS;
  }
  firstToken(req: RequestState, timeS: number): void {
    this.c.firstToken(req, timeS);
  }
  tokens(timeS: number, count: number): void {
    this.c.tokens(timeS, count);
  }
  itl(gapS: number, weight: number): void {
    this.c.itl(gapS, weight);
  }
  finish(req: RequestState, timeS: number, instance: string, error?: string): void {
    const extra = this.extras.get(req.spec.id);
    this.extras.delete(req.spec.id);
    this.c.finish(req, timeS, instance, error, extra);
  }
  iteration(instance: string, startS: number, endS: number, batchSize: number, newTokens: number, kind: 'prefill' | 'decode' | 'mixed'): void {
    this.c.iteration(instance, startS, endS, batchSize, newTokens, kind);
  }
  gauges(instance: string, timeS: number, running: number, waiting: number, usedBlocks: number, totalBlocks: number): void {
    this.occupancy.push({ tS: timeS, tier: `gpu ${instance}`, occupancy: totalBlocks > 0 ? usedBlocks / totalBlocks : 0 });
    this.c.gauges(instance, timeS, running, waiting, usedBlocks, totalBlocks);
  }
  preemption(instance: string): void {
    this.c.preemption(instance);
  }
  segment(seg: ResourceSegment): void {
    this.c.segment?.(seg);
  }
  decodeRun(instance: string, startS: number, endsS: Float64Array, n: number, emitting: number, batchSize: number): void {
    if (this.c.decodeRun) this.c.decodeRun(instance, startS, endsS, n, emitting, batchSize);
    else decodeRunByCalls(this.c, instance, startS, endsS, n, emitting, batchSize);
  }
}
