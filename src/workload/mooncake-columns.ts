/**
 * A Mooncake trace's replayed rows read once into columns: arrival seconds, the two lengths, and
 * every row's hash_ids packed in one Float64Array (8 bytes an id, ~24 ids a conversation row, about
 * the size of the ids' own text), so the run neither reads the file twice (a validating count, then
 * the replay: each pass a gunzip, a split into lines and a JSON.parse per line) nor keeps a row
 * object or array per request between the two. Rows are validated with traceRows' checks; traceRows
 * itself words every error.
 */
import { MAX_RECORD_BYTES, textChunks } from '../io/records.js';
import { keptRange, lookUpTrace, type CachedTrace } from './trace-cache.js';
import { Columns, grown, type TraceColumns } from './trace-columns.js';
import { traceRows } from './traces.js';

export interface MooncakeColumns extends TraceColumns {
  /** Row i's hash ids are hashIds[hashStart[i], hashStart[i + 1]) (count + 1 entries, or more). */
  hashStart: Float64Array;
  hashIds: Float64Array;
  /** Row i had a hash_ids key (an empty list counts). */
  hasHashes: Uint8Array;
}

/**
 * The first `limit` rows arriving at or after `startS` (seconds from the file's first row). As the
 * streamed replay did, the row after the last one kept is read too (so a bad row right after it is
 * still reported), and nothing after that. A file whose lines all pass the checks is read by
 * scanMooncake (no per-row objects); one with any other line is read again by the generic reading,
 * which reports the error with its file and line.
 */
export function mooncakeColumns(file: string, limit: number, startS: number): MooncakeColumns {
  const cached = lookUpTrace(file, 'mooncake');
  if (cached?.hashes) return cachedMooncake(cached, limit, startS);
  return parseMooncakeColumns(file, limit, startS);
}

/** mooncakeColumns from the trace's text, whatever the cache holds (the build writes the cache from it). */
export function parseMooncakeColumns(file: string, limit: number, startS: number): MooncakeColumns {
  return scanMooncake(file, limit, startS) ?? genericColumns(file, limit, startS);
}

/** The rows mooncakeColumns keeps, as views into the cached columns (hashStart indexes the whole id column). */
export function cachedMooncake(t: CachedTrace, limit: number, startS: number): MooncakeColumns {
  const { first, n } = keptRange(t, limit, startS);
  const h = t.hashes!;
  const end = first + n;
  return { count: n, arrivalS: t.arrivalS.subarray(first, end), promptTokens: t.promptTokens.subarray(first, end), outputTokens: t.outputTokens.subarray(first, end), hashStart: h.start.subarray(first, end + 1), hashIds: h.ids, hasHashes: h.has.subarray(first, end) };
}

/** The columns as rows are kept: arrival, lengths, and each row's hash ids appended to one packed array. */
class ColumnsBuilder {
  private readonly cols: Columns;
  private ids = new Float64Array(1024);
  private nIds = 0;
  private starts: Float64Array;
  private has: Uint8Array;
  n = 0;

  constructor(private readonly limit: number) {
    this.cols = new Columns(Math.max(1, limit));
    this.starts = new Float64Array(Math.min(Math.max(1, limit), 1024) + 1);
    this.has = new Uint8Array(this.starts.length);
  }

  push(arrivalS: number, promptTokens: number, outputTokens: number, hashes: readonly number[] | undefined): void {
    const n = this.n;
    if (n + 1 >= this.starts.length) {
      const size = Math.min(this.limit + 1, this.starts.length * 2);
      this.starts = grown(this.starts, size);
      this.has = grown(this.has, size);
    }
    let nIds = this.nIds;
    this.starts[n] = nIds;
    if (hashes !== undefined) {
      this.has[n] = 1;
      if (nIds + hashes.length > this.ids.length) this.ids = grown(this.ids, Math.max(this.ids.length * 2, nIds + hashes.length));
      const ids = this.ids;
      for (let k = 0; k < hashes.length; k++) ids[nIds++] = hashes[k]!;
      this.nIds = nIds;
    }
    this.n = n + 1;
    this.cols.push(arrivalS, promptTokens, outputTokens);
  }

  result(): MooncakeColumns {
    this.starts[this.n] = this.nIds;
    const c = this.cols;
    return { count: this.n, arrivalS: c.arrivalS, promptTokens: c.promptTokens, outputTokens: c.outputTokens, hashStart: this.starts, hashIds: this.ids, hasHashes: this.has };
  }
}

/** The generic reading (traceRows: JSON.parse of every line, every error worded). */
export function genericColumns(file: string, limit: number, startS: number): MooncakeColumns {
  const out = new ColumnsBuilder(limit);
  for (const r of traceRows(file, 'mooncake')) {
    if (out.n >= limit) break;
    if (r.arrivalS < startS) continue;
    out.push(r.arrivalS, r.promptTokens, r.outputTokens, r.prefixHashes);
  }
  return out.result();
}

/**
 * The plain case, read without the generic pipeline's per-row objects, generator hops and
 * closures: each line JSON.parse'd (native, no JIT warm-up: a hand-written character scanner was
 * no faster in a cold process) and checked with the generic reader's own tests (rawRows and
 * traceRows in traces.ts). `line` answers null as soon as a line fails one of them; the generic
 * reading then runs from the start and words the error with its line.
 */
class PlainRows {
  readonly out: ColumnsBuilder;
  rows = 0;
  private t0 = 0;
  private prev = -Infinity;

  constructor(
    private readonly limit: number,
    private readonly startS: number,
  ) {
    this.out = new ColumnsBuilder(limit);
  }

  /** One line (no line break); 'stop' once the row after the last kept one is read; null: not plain. */
  line(text: string): 'go' | 'stop' | null {
    if (text.trim() === '') return 'go';
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch {
      return null;
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return null;
    const rec = o as Record<string, unknown>;
    const ts = rec.timestamp;
    const inLen = rec.input_length;
    const outLen = rec.output_length;
    const h = rec.hash_ids;
    if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) return null;
    if (typeof inLen !== 'number' || !Number.isSafeInteger(inLen) || inLen < 1) return null;
    if (typeof outLen !== 'number' || !Number.isSafeInteger(outLen) || outLen < 1) return null;
    if (h !== undefined) {
      if (!Array.isArray(h)) return null;
      for (let k = 0; k < h.length; k++) if (!Number.isSafeInteger(h[k])) return null;
    }
    // traceRows: arrivals in seconds, non-decreasing, counted from the first row.
    const arrivalS = ts / 1000;
    if (arrivalS < this.prev) return null;
    this.prev = arrivalS;
    if (this.rows++ === 0) this.t0 = arrivalS;
    if (this.out.n >= this.limit) return 'stop';
    const rel = arrivalS - this.t0;
    if (rel < this.startS) return 'go';
    this.out.push(rel, inLen, outLen, h as number[] | undefined);
    return 'go';
  }
}

/** The plain case read by PlainRows (lines cut as lines() in io/records.ts cuts them), or null for the generic reading. */
export function scanMooncake(file: string, limit: number, startS: number): MooncakeColumns | null {
  const s = new PlainRows(limit, startS);
  let carry = '';
  for (const chunk of textChunks(file, 'trace file')) {
    const text = carry + chunk;
    let pos = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', pos)) {
      const r = s.line(text.slice(pos, nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      if (r === null) return null;
      if (r === 'stop') return s.out.result();
      pos = nl + 1;
    }
    carry = text.slice(pos);
    // A record longer than the reader's limit: the generic reader says so.
    if (carry.length > MAX_RECORD_BYTES) return null;
  }
  if (carry !== '' && s.line(carry.charCodeAt(carry.length - 1) === 13 ? carry.slice(0, -1) : carry) === null) return null;
  return s.rows === 0 ? null : s.out.result();
}

/** Row i's hash ids as a new array, undefined when the row had none. */
export function rowHashes(c: MooncakeColumns, i: number): number[] | undefined {
  if (c.hasHashes[i] === 0) return undefined;
  const out: number[] = [];
  for (let k = c.hashStart[i]!, end = c.hashStart[i + 1]!; k < end; k++) out.push(c.hashIds[k]!);
  return out;
}
