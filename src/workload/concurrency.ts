/**
 * `vllm bench serve --max-concurrency N`: a semaphore in front of the server. An arrival that finds
 * N requests in flight waits until one finishes; its latencies then count from when it is sent (the
 * bench's request function starts its clock inside the semaphore) and the wait is its queue time
 * (vLLM's `queue_times`). This makes arrivals depend on completions: a closed loop when arrivals
 * come faster than the server finishes.
 *
 * Arrivals are in time order and waiting ones leave in the same order (FIFO), so the waiting queue
 * is always a prefix of the not-yet-sent arrivals: the gate holds at most one of them and the
 * caller stops pulling arrivals while one is held. Memory is O(1) plus the queue-time array.
 */
import type { RequestSpec } from '../serving/types.js';

export class ConcurrencyGate {
  private inFlight = 0;
  private held: RequestSpec | null = null;
  /** Seconds each request waited for a slot, by request id. */
  readonly queueS: Float64Array;
  queuedRequests = 0;

  constructor(readonly limit: number, count: number) {
    this.queueS = new Float64Array(count);
  }

  /**
   * An arrival, seen at `nowS` (its arrival time, or later when it was held behind another):
   * the request to send now, re-timed to `nowS`, or null when it must wait for a slot.
   */
  admit(spec: RequestSpec, nowS: number): RequestSpec | null {
    if (this.inFlight >= this.limit) {
      this.held = spec;
      return null;
    }
    this.inFlight++;
    return this.sendAt(spec, nowS);
  }

  /** A request left the server at `nowS`; returns the held arrival to send now, re-timed, if any. */
  release(nowS: number): RequestSpec | null {
    this.inFlight--;
    const h = this.held;
    if (!h) return null;
    this.held = null;
    this.inFlight++;
    return this.sendAt(h, nowS);
  }

  private sendAt(spec: RequestSpec, nowS: number): RequestSpec {
    const waitS = nowS - spec.arrivalS;
    if (waitS <= 0) return spec;
    if (spec.id >= 0 && spec.id < this.queueS.length) this.queueS[spec.id] = waitS;
    this.queuedRequests++;
    return { ...spec, arrivalS: nowS };
  }
}
