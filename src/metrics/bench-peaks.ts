/**
 * The two peak figures of `vllm bench serve`: `max_output_tokens_per_s`, the largest count of
 * output tokens in a 1-second bucket measured from the first request's start (serve.py
 * `calculate_metrics`), and `max_concurrent_requests`, here the exact peak of requests in flight
 * (a sweep line over send and finish times; vLLM reports the in-flight count of its peak-token
 * second, bucketed, which can only be lower or equal). Fed in simulated-time order, so online.
 */
export class BenchPeaks {
  private t0S: number | null = null;
  /** Tokens per 1-second bucket; a dense array because buckets only grow with time (called every iteration). */
  private readonly perSecond: number[] = [];
  private inFlight = 0;
  maxConcurrent = 0;

  /** A request was sent at `timeS`. */
  sent(timeS: number): void {
    if (this.t0S === null) this.t0S = timeS;
    this.inFlight++;
    if (this.inFlight > this.maxConcurrent) this.maxConcurrent = this.inFlight;
  }

  /** A request left (finished or failed). */
  left(): void {
    this.inFlight--;
  }

  tokens(timeS: number, count: number): void {
    const b = Math.max(0, Math.floor(timeS - (this.t0S ?? 0)));
    this.perSecond[b] = (this.perSecond[b] ?? 0) + count;
  }

  get maxOutputTokensPerS(): number {
    let m = 0;
    for (const v of this.perSecond) if (v !== undefined && v > m) m = v;
    return m;
  }
}
