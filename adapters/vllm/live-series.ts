/**
 * Time series of a measured run for the report's time charts, from the per-request results alone:
 * output tokens per second (each chunk's tokens at its arrival time; a request's usage count spread
 * evenly over its chunks, since the stream does not say how many tokens a chunk carried), completed
 * requests per second, and requests in flight (sent, not finished) at each bucket's end. The queue
 * length and KV occupancy are not visible from the client: the run is marked as not measuring them,
 * so those charts leave it out rather than draw a flat zero.
 */
import { BenchPeaks } from '../../src/metrics/bench-peaks.js';
import type { RunSeries, TimeSample } from '../../src/report/types.js';
import type { LiveRequestResult } from './types.js';

const BUCKETS = 200;

export function liveTimeSeries(results: readonly LiveRequestResult[]): TimeSample[] {
  const ok = results.filter((r) => r.success && r.ttftMs !== null && r.e2elMs !== null);
  // No send times (a bench file without start_times): nothing to put on a time axis.
  if (ok.length === 0 || (ok.length > 1 && ok.every((r) => r.startS === 0))) return [];
  const endS = Math.max(...ok.map((r) => r.startS + r.e2elMs! / 1000));
  const width = endS / BUCKETS || 1e-3;
  const bucket = (t: number): number => Math.min(BUCKETS - 1, Math.max(0, Math.floor(t / width)));
  const tokens = new Float64Array(BUCKETS);
  const done = new Float64Array(BUCKETS);
  const delta = new Float64Array(BUCKETS + 1);
  for (const r of ok) {
    const chunks = r.itlMs.length + 1;
    const perChunk = (r.outputTokens ?? chunks) / chunks;
    let t = r.startS + r.ttftMs! / 1000;
    tokens[bucket(t)]! += perChunk;
    for (const gap of r.itlMs) tokens[bucket((t += gap / 1000))]! += perChunk;
    const finish = r.startS + r.e2elMs! / 1000;
    done[bucket(finish)]! += 1;
    // In flight at bucket b's end e = (b + 1) width: start <= e < finish, i.e. ceil(start / width) - 1 <= b < ceil(finish / width) - 1.
    delta[Math.min(BUCKETS, Math.max(0, Math.ceil(r.startS / width) - 1))]! += 1;
    delta[Math.min(BUCKETS, Math.max(0, Math.ceil(finish / width) - 1))]! -= 1;
  }
  const out: TimeSample[] = [];
  let running = 0;
  for (let b = 0; b < BUCKETS; b++) {
    running += delta[b]!;
    out.push({ tS: (b + 1) * width, outputTokensPerS: tokens[b]! / width, requestsCompletedPerS: done[b]! / width, queueLength: 0, running: Math.max(0, running), kvOccupancy: 0 });
  }
  return out;
}

export const LIVE_UNMEASURED: NonNullable<RunSeries['unmeasured']> = ['queueLength', 'kvOccupancy'];

/**
 * vllm bench's peak figures of a measured run: output tokens per 1-second bucket from the first send
 * (each chunk's share of the request's usage count), and the exact peak of requests in flight.
 */
export function livePeaks(results: readonly LiveRequestResult[]): BenchPeaks {
  const ok = results.filter((r) => r.success && r.ttftMs !== null && r.e2elMs !== null);
  // Events in time order, as BenchPeaks expects: sends (+1), leaves (-1), token chunks.
  const ev: { t: number; kind: 0 | 1 | 2; n: number }[] = [];
  for (const r of ok) {
    ev.push({ t: r.startS, kind: 0, n: 0 }, { t: r.startS + r.e2elMs! / 1000, kind: 1, n: 0 });
    const chunks = r.itlMs.length + 1;
    const per = (r.outputTokens ?? chunks) / chunks;
    let t = r.startS + r.ttftMs! / 1000;
    ev.push({ t, kind: 2, n: per });
    for (const g of r.itlMs) ev.push({ t: (t += g / 1000), kind: 2, n: per });
  }
  // At equal times a leave goes before a send: a request finishing as another starts is not overlap.
  ev.sort((a, b) => a.t - b.t || b.kind - a.kind);
  const p = new BenchPeaks();
  const first = ok.length > 0 ? Math.min(...ok.map((r) => r.startS)) : 0;
  p.sent(first);
  p.left(first); // fixes the bucket origin at the first send without counting a request
  for (const e of ev) {
    if (e.kind === 0) p.sent(e.t);
    else if (e.kind === 1) p.left(e.t);
    else p.tokens(e.t, e.n);
  }
  return p;
}
