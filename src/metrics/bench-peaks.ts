/**
 * The two peak figures of `vllm bench serve`: `max_output_tokens_per_s`, the largest count of
 * output tokens in a 1-second bucket measured from the first request's start (serve.py
 * `calculate_metrics`), and `max_concurrent_requests`, here the exact peak of requests in flight
 * (a sweep line over send and finish times; vLLM reports the in-flight count of its peak-token
 * second, bucketed, which can only be lower or equal).
 *
 * Sends come in simulated-time order; finishes may be reported ahead of the clock (an engine's
 * closed-form decode stretch runs past sends it cannot see yet), so a finish is held in a min-heap
 * and counted out at the first send after its time: the peak depends on the times alone, not on the
 * order engines report in. A finish at the very time of a send counts before it: a request
 * finishing as another starts is not overlap, and a --max-concurrency gate sends the held request
 * at the finish that frees its slot. Memory: the finishes since the last send.
 *
 * Finishes mostly come in time order (one engine reports its own in order): those go in a FIFO of
 * plain doubles, whose head is then the earliest, and only one earlier than the FIFO's last goes in
 * the heap (a heap operation per request, comparator and boxed number, was most of this class's time).
 * The count a send takes out is the same either way: every finish at or before its time.
 */
import FastPriorityQueue from 'fastpriorityqueue';

export class BenchPeaks {
  private t0S: number | null = null;
  /** Tokens per 1-second bucket; a dense array because buckets only grow with time (called every iteration). */
  private readonly perSecond: number[] = [];
  /** Requests sent, less those whose finish time is before the last send. */
  private inFlight = 0;
  /** Finish times not yet passed by a send, in time order: fifoS[fifoHead, fifoTail). */
  private fifoS = new Float64Array(64);
  private fifoHead = 0;
  private fifoTail = 0;
  /** Finish times not yet passed by a send that came earlier than the FIFO's last. */
  private readonly leftS = new FastPriorityQueue<number>((a, b) => a < b);
  maxConcurrent = 0;

  /** A request was sent at `timeS` (not before any earlier send). */
  sent(timeS: number): void {
    if (this.t0S === null) this.t0S = timeS;
    const fifo = this.fifoS;
    let h = this.fifoHead;
    const t = this.fifoTail;
    while (h < t && fifo[h]! <= timeS) h++;
    this.inFlight -= h - this.fifoHead;
    if (h === t) this.fifoHead = this.fifoTail = 0;
    else this.fifoHead = h;
    const left = this.leftS;
    while (!left.isEmpty() && left.peek()! <= timeS) {
      left.poll();
      this.inFlight--;
    }
    this.inFlight++;
    if (this.inFlight > this.maxConcurrent) this.maxConcurrent = this.inFlight;
  }

  /** A request left (finished or failed) at `timeS`, reported at or before that time. */
  left(timeS: number): void {
    const t = this.fifoTail;
    if (t > this.fifoHead && timeS < this.fifoS[t - 1]!) {
      this.leftS.add(timeS);
      return;
    }
    if (t === this.fifoS.length) {
      // Full: move the live part to the front, doubling when it fills more than half.
      const live = t - this.fifoHead;
      const to = live * 2 > t ? new Float64Array(2 * t) : this.fifoS;
      if (to === this.fifoS) to.copyWithin(0, this.fifoHead, t);
      else to.set(this.fifoS.subarray(this.fifoHead, t));
      this.fifoS = to;
      this.fifoHead = 0;
      this.fifoTail = live;
    }
    this.fifoS[this.fifoTail++] = timeS;
  }

  tokens(timeS: number, count: number): void {
    const b = Math.max(0, Math.floor(timeS - (this.t0S ?? 0)));
    this.perSecond[b] = (this.perSecond[b] ?? 0) + count;
  }

  /**
   * tokens(timesS[i], count) for i in [0, n), in order, one array update per second met: floor(t -
   * t0) never decreases as t grows, so rising times whose difference stays below b + 1 share
   * bucket b (integer counts: the sum is exact in any grouping).
   */
  tokensAt(timesS: Float64Array, n: number, count: number): void {
    const t0S = this.t0S ?? 0;
    const perSecond = this.perSecond;
    for (let i = 0; i < n; ) {
      let last = timesS[i]!;
      const b = Math.max(0, Math.floor(last - t0S));
      let k = 1;
      for (i++; i < n; i++, k++) {
        const t = timesS[i]!;
        if (t < last || t - t0S >= b + 1) break;
        last = t;
      }
      perSecond[b] = (perSecond[b] ?? 0) + k * count;
    }
  }

  get maxOutputTokensPerS(): number {
    let m = 0;
    for (const v of this.perSecond) if (v !== undefined && v > m) m = v;
    return m;
  }
}
