/**
 * Collects what the engines report: per-request records (streamed to a writer, never all kept),
 * latency distributions, throughput and gauge time series, per-instance busy time and batch
 * sizes, and a capped compute timeline. Definitions follow `vllm bench serve` (docs/metrics.md).
 */
import type { EngineSink } from '../serving/engine-sink.js';
import type { RequestState } from '../serving/request-state.js';
import type { RequestRecord } from '../serving/types.js';
import { meetsSlo, tpotMs, type Slo } from './bench-definitions.js';
import { BenchPeaks } from './bench-peaks.js';
import { Distribution } from './distribution.js';
import { TimeSeries } from './time-series.js';

export interface RecordWriter {
  /**
   * `baseOnly`: the record has the base keys alone, in their order (collector.finish knows; a
   * writer may then skip looking for extra keys). Absent means unknown.
   */
  write(rec: RequestRecord, baseOnly?: boolean): void;
}

export type SloSpec = Slo;

export interface InstanceStats {
  busyS: number;
  iterations: number;
  batchSizeSum: number;
  newTokensSum: number;
  preemptions: number;
}

export interface TimelineSegment {
  resource: string;
  kind: string;
  startS: number;
  endS: number;
}

export const MAX_TIMELINE_SEGMENTS = 5000;

export class MetricsCollector implements EngineSink {
  readonly ttftMs = new Distribution();
  readonly tpotMs = new Distribution();
  readonly itlMs = new Distribution();
  readonly e2elMs = new Distribution();
  readonly series: TimeSeries;
  readonly instances = new Map<string, InstanceStats>();
  readonly timeline: TimelineSegment[] = [];
  /** Every timeline segment produced, kept or not (the timeline keeps the first MAX_TIMELINE_SEGMENTS). */
  timelineTotal = 0;
  completed = 0;
  failed = 0;
  totalInputTokens = 0;
  totalOutputTokens = 0;
  good = 0;
  lastFinishS = 0;
  preemptedRequests = 0;
  cachedPromptTokens = 0;
  /** Sum over completed requests with output > 1 of (e2el - ttft), and of (output - 1): mean ITL. */
  decodeSpanS = 0;
  decodeGaps = 0;
  readonly failures = new Map<string, number>();
  /** P/D: KV transfer time per completed request (its requests.jsonl kvTransferMs). */
  readonly kvTransferMs = new Distribution();
  /** vllm bench's peak figures; the arrival loop reports sends. */
  readonly peaks = new BenchPeaks();
  nextGaugeS: number;

  constructor(
    private readonly writer: RecordWriter,
    private readonly slo: SloSpec,
    sampleIntervalS: number,
    private readonly recordTimeline = true,
  ) {
    this.series = new TimeSeries(sampleIntervalS);
    this.nextGaugeS = 0;
  }

  /** The instance stats() returned last: consecutive calls are mostly for the same instance. */
  private lastInstance: string | null = null;
  private lastStats: InstanceStats | null = null;

  private stats(instance: string): InstanceStats {
    if (instance === this.lastInstance) return this.lastStats!;
    let s = this.instances.get(instance);
    if (!s) this.instances.set(instance, (s = { busyS: 0, iterations: 0, batchSizeSum: 0, newTokensSum: 0, preemptions: 0 }));
    this.lastInstance = instance;
    this.lastStats = s;
    return s;
  }

  firstToken(_req: RequestState, _timeS: number): void {}

  tokens(timeS: number, count: number): void {
    this.series.addTokens(timeS, count);
    this.peaks.tokens(timeS, count);
  }

  itl(gapS: number, weight: number): void {
    this.itlMs.add(gapS * 1000, weight);
  }

  iteration(instance: string, startS: number, endS: number, batchSize: number, newTokens: number, kind: 'prefill' | 'decode' | 'mixed'): void {
    const s = this.stats(instance);
    s.busyS += endS - startS;
    s.iterations++;
    s.batchSizeSum += batchSize;
    s.newTokensSum += newTokens;
    if (this.recordTimeline && this.timelineTotal++ < MAX_TIMELINE_SEGMENTS) this.timeline.push({ resource: instance, kind, startS, endS });
  }

  /**
   * The iteration/itl/tokens calls of a decode run (EngineSink.decodeRun): same arithmetic, same
   * order per figure. Each figure takes the run in one call of its own, so that no per-iteration
   * call passes a float (a boxed number, allocated, when the call is not inlined).
   */
  decodeRun(instance: string, startS: number, endsS: Float64Array, n: number, emitting: number, batchSize: number): void {
    const s = this.stats(instance);
    let busyS = s.busyS;
    if (this.recordTimeline) {
      let start = startS;
      for (let i = 0; i < n; i++) {
        const end = endsS[i]!;
        busyS += end - start;
        if (this.timelineTotal++ < MAX_TIMELINE_SEGMENTS) this.timeline.push({ resource: instance, kind: 'decode', startS: start, endS: end });
        start = end;
      }
    } else {
      // Apart from the timeline's loop: there `start` also goes into an object, so TurboFan keeps
      // it boxed, a heap number per iteration; here it stays a raw double (same additions, same order),
      // started as a number (a loop variable started from a parameter is boxed as well).
      let start = +startS;
      for (let i = 0; i < n; i++) {
        const end = endsS[i]!;
        busyS += end - start;
        start = end;
      }
    }
    s.busyS = busyS;
    // Integer sums (exact below 2^53): n additions of batchSize are n * batchSize.
    s.iterations += n;
    s.batchSizeSum += n * batchSize;
    s.newTokensSum += n * batchSize;
    if (emitting <= 0) return;
    this.itlMs.addGapsMs(startS, endsS, emitting, batchSize);
    this.series.addTokensAt(endsS, emitting, batchSize);
    this.peaks.tokensAt(endsS, emitting, batchSize);
  }

  gauges(instance: string, timeS: number, running: number, waiting: number, usedBlocks: number, totalBlocks: number): void {
    this.series.gauge(instance, timeS, [running, waiting, usedBlocks, totalBlocks]);
    this.nextGaugeS = this.series.nextBoundaryS(timeS);
  }

  preemption(instance: string): void {
    this.stats(instance).preemptions++;
  }

  /** Records a transfer or other non-compute activity on the timeline. */
  segment(seg: TimelineSegment): void {
    if (this.recordTimeline && this.timelineTotal++ < MAX_TIMELINE_SEGMENTS) this.timeline.push(seg);
  }

  finish(req: RequestState, timeS: number, instance: string, error?: string, extra?: Partial<RequestRecord>): void {
    const spec = req.spec;
    this.peaks.left(timeS);
    const rec: RequestRecord = {
      id: spec.id,
      arrivalS: spec.arrivalS,
      firstTokenS: req.firstTokenS,
      finishS: error === undefined ? timeS : null,
      promptTokens: spec.promptTokens,
      outputTokens: error === undefined ? req.generated : 0,
      replica: instance,
      preemptions: req.preemptions,
      cachedPromptTokens: req.cachedPromptTokens,
    };
    // Not a spread in the literal: most finishes have no extra fields, and the literal stays on
    // the fast path. Object.assign keeps the same key order (an overridden base key stays in place).
    if (extra !== undefined) Object.assign(rec, extra);
    if (error !== undefined) {
      rec.error = error;
      this.failed++;
      this.failures.set(error.replace(/\d+/g, 'N'), (this.failures.get(error.replace(/\d+/g, 'N')) ?? 0) + 1);
      this.writer.write(rec);
      return;
    }
    this.completed++;
    if (rec.kvTransferMs !== undefined) this.kvTransferMs.add(rec.kvTransferMs);
    this.totalInputTokens += spec.promptTokens;
    this.totalOutputTokens += req.generated;
    this.cachedPromptTokens += req.cachedPromptTokens;
    if (req.preemptions > 0) this.preemptedRequests++;
    const ttftMs = ((req.firstTokenS ?? timeS) - spec.arrivalS) * 1000;
    const e2elMs = (timeS - spec.arrivalS) * 1000;
    this.ttftMs.add(ttftMs);
    this.e2elMs.add(e2elMs);
    const tpot = tpotMs(e2elMs, ttftMs, req.generated);
    if (tpot !== null) {
      this.tpotMs.add(tpot);
      this.decodeSpanS += timeS - (req.firstTokenS ?? timeS);
      this.decodeGaps += req.generated - 1;
    }
    if (meetsSlo(this.slo, ttftMs, tpot, e2elMs)) this.good++;
    if (timeS > this.lastFinishS) this.lastFinishS = timeS;
    this.series.addCompletion(timeS);
    this.writer.write(rec, extra === undefined);
  }
}
