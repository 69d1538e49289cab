/**
 * `vllm bench serve --save-detailed`-style per-request arrays for summary.json (`pdsim simulate
 * --save-detailed`), in request order and in seconds as serve.py writes them: `input_lens,
 * output_lens, ttfts, start_times, latencies, errors`, plus `queue_times` under
 * `--max-concurrency`. A failed request has output length 0, TTFT and latency 0 and its error
 * text, as in vLLM. `start_times` are the simulated send times (vLLM writes perf_counter values:
 * only their differences mean anything there either).
 *
 * `itls` is not written: the engine model reports inter-token gaps pooled over the batch, not per
 * request, so a per-request list would have to be invented.
 */
import type { RecordWriter } from './collector.js';
import type { RequestRecord } from '../serving/types.js';

/** Passes every record on and keeps the few numbers the arrays need (O(requests) memory, only when asked). */
export class DetailedRecorder implements RecordWriter {
  private readonly recs: { id: number; inLen: number; outLen: number; ttftS: number; startS: number; latencyS: number; error: string }[] = [];

  constructor(private readonly next: RecordWriter) {}

  write(rec: RequestRecord, baseOnly?: boolean): void {
    this.next.write(rec, baseOnly);
    const ok = rec.error === undefined && rec.finishS !== null;
    this.recs.push({
      id: rec.id,
      inLen: rec.promptTokens,
      outLen: ok ? rec.outputTokens : 0,
      ttftS: ok && rec.firstTokenS !== null ? rec.firstTokenS - rec.arrivalS : 0,
      startS: rec.arrivalS,
      latencyS: ok ? rec.finishS! - rec.arrivalS : 0,
      error: rec.error ?? '',
    });
  }

  /** The arrays, ordered by request id; `queueS` (by id) from the concurrency gate when there is one. */
  arrays(queueS?: Float64Array): Record<string, unknown[]> {
    const r = [...this.recs].sort((a, b) => a.id - b.id);
    const round = (x: number): number => Math.round(x * 1e9) / 1e9;
    const out: Record<string, unknown[]> = {
      input_lens: r.map((x) => x.inLen),
      output_lens: r.map((x) => x.outLen),
      ttfts: r.map((x) => round(x.ttftS)),
      start_times: r.map((x) => round(x.startS)),
      latencies: r.map((x) => round(x.latencyS)),
      errors: r.map((x) => x.error),
    };
    if (queueS) out['queue_times'] = r.map((x) => round(queueS[x.id] ?? 0));
    return out;
  }
}
