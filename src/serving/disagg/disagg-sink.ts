/**
 * The engine sink of a disaggregated deployment: passes everything to the sink it wraps (the metrics collector), and on
 * the way records what disaggregation metrics need: each instance's compute intervals (for the
 * compute/transfer overlap), per-instance KV occupancy (tier series), and the per-request extras
 * (transfer times, "p0->d1" replica label) that go into requests.jsonl.
 */
import type { EngineSink, ResourceSegment } from '../engine-sink.js';
import type { RequestState } from '../request-state.js';
import type { RequestRecord } from '../types.js';

/** Compute intervals kept per instance; a transfer never spans more iterations than this. */
const MAX_INTERVALS = 4096;

export class DisaggSink implements EngineSink {
  readonly intervals = new Map<string, number[]>();
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
    let a = this.intervals.get(instance);
    if (!a) this.intervals.set(instance, (a = []));
    a.push(startS, endS);
    if (a.length > 2 * MAX_INTERVALS) a.splice(0, a.length - MAX_INTERVALS);
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

  /** Seconds of [fromS, toS] during which `instance` was computing. */
  computeOverlapS(instance: string, fromS: number, toS: number): number {
    const a = this.intervals.get(instance);
    if (!a || !(toS > fromS)) return 0;
    let s = 0;
    for (let i = a.length - 2; i >= 0; i -= 2) {
      const e = a[i + 1]!;
      if (e <= fromS) break;
      s += Math.max(0, Math.min(e, toS) - Math.max(a[i]!, fromS));
    }
    return s;
  }
}
