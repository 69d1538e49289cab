/**
 * CSV traces (Vidur, Azure) read into columns in one pass: arrival seconds and the two lengths of
 * the rows a run replays, in typed arrays (24 bytes a row), so the run never parses the file twice
 * nor keeps a row object per request. Vidur files without quotes take a hand-written scanner (no
 * per-row strings, arrays or generator hops: the generic pipeline was most of the parity run's
 * reading time); anything it does not recognise, including every kind of bad cell, is read again
 * by the generic reader (traces.ts), which reports the error with its file and line.
 */
import { MAX_RECORD_BYTES, textChunks } from '../io/records.js';
import { keptRange, lookUpTrace, type CachedTrace } from './trace-cache.js';
import { traceRows, type TraceFormat } from './traces.js';

/**
 * Rows few enough that the first 64 KiB of a gzip trace most likely hold them (the parity trace
 * has ~4,600 rows there): the file's head is inflated first, and the rest only if more are needed.
 */
export const HEAD_FIRST_ROWS = 2048;

/** A CSV trace's replayed rows as columns (arrival seconds from the first row of the file). */
export interface TraceColumns {
  count: number;
  arrivalS: Float64Array;
  /** Float64Array: lengths are any safe integer, as traceRows accepts them. */
  promptTokens: Float64Array;
  outputTokens: Float64Array;
}

/**
 * `a` copied into a longer array. A function of its own, not an arrow in push(): one that captures
 * `this` makes V8 allocate a context on every call of push (100k per parity run), grown or not.
 */
export function grown<T extends Float64Array | Uint8Array>(a: T, cap: number): T {
  const b = (a instanceof Float64Array ? new Float64Array(cap) : new Uint8Array(cap)) as T;
  b.set(a);
  return b;
}

/** Growable columns (doubling, capped at the rows wanted). */
export class Columns implements TraceColumns {
  count = 0;
  private cap: number;
  arrivalS: Float64Array;
  promptTokens: Float64Array;
  outputTokens: Float64Array;
  constructor(private readonly limit: number) {
    this.cap = Math.min(limit, 1024);
    this.arrivalS = new Float64Array(this.cap);
    this.promptTokens = new Float64Array(this.cap);
    this.outputTokens = new Float64Array(this.cap);
  }
  /** Appends a row; true while more rows are wanted. */
  push(arrivalS: number, promptTokens: number, outputTokens: number): boolean {
    if (this.count === this.cap) {
      this.cap = Math.min(this.limit, this.cap * 2);
      this.arrivalS = grown(this.arrivalS, this.cap);
      this.promptTokens = grown(this.promptTokens, this.cap);
      this.outputTokens = grown(this.outputTokens, this.cap);
    }
    const i = this.count++;
    this.arrivalS[i] = arrivalS;
    this.promptTokens[i] = promptTokens;
    this.outputTokens[i] = outputTokens;
    return this.count < this.limit;
  }
}

/**
 * The first `limit` rows arriving at or after `startS` (seconds from the file's first row),
 * validated as traceRows validates them; rows after the last one kept are not read.
 */
export function traceColumns(file: string, format: Exclude<TraceFormat, 'mooncake'>, limit: number, startS: number): TraceColumns {
  if (limit > 0) {
    // A few rows read head-first (~2.6 ms CPU) cost less than hashing the whole trace to trust the cache.
    const cached = lookUpTrace(file, format, !(format === 'vidur' && limit <= HEAD_FIRST_ROWS));
    if (cached !== null) return cachedColumns(cached, limit, startS);
  }
  return parseTraceColumns(file, format, limit, startS);
}

/** traceColumns from the trace's text, whatever the cache holds (the build writes the cache from it). */
export function parseTraceColumns(file: string, format: Exclude<TraceFormat, 'mooncake'>, limit: number, startS: number): TraceColumns {
  if (format === 'vidur' && limit > 0) {
    const fast = vidurColumns(file, limit, startS);
    if (fast !== null) return fast;
  }
  const cols = new Columns(Math.max(0, limit));
  if (limit > 0) {
    for (const r of traceRows(file, format)) {
      if (r.arrivalS < startS) continue;
      if (!cols.push(r.arrivalS, r.promptTokens, r.outputTokens)) break;
    }
  }
  return cols;
}

/** The rows traceColumns keeps, as views into the cached columns. */
export function cachedColumns(t: CachedTrace, limit: number, startS: number): TraceColumns {
  const { first, n } = keptRange(t, limit, startS);
  return { count: n, arrivalS: t.arrivalS.subarray(first, first + n), promptTokens: t.promptTokens.subarray(first, first + n), outputTokens: t.outputTokens.subarray(first, first + n) };
}

/** A positive integer of 1 to 15 ASCII digits (exact in a double) in text[a, b), else -1. */
function digits(text: string, a: number, b: number): number {
  if (b <= a || b - a > 15) return -1;
  let v = 0;
  for (let i = a; i < b; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v >= 1 ? v : -1;
}

/** Exact powers of ten (10^22 is the largest a double holds exactly). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/**
 * Number(text.slice(a, b)), without the slice where it can: digits with at most one point whose
 * digits, read as an integer m, stay below 2^53 and whose fraction has at most 22 digits give
 * m / 10^d, both operands exact, so the one correctly rounded division is the correctly rounded
 * value of the decimal, as Number() computes it (Clinger's fast path, "How to read floating
 * point numbers accurately", PLDI 1990). Anything else goes through Number().
 */
function decimal(text: string, a: number, b: number): number {
  let m = 0;
  let digitsSeen = 0;
  let point = -1;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && point < 0) point = i;
    else if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digitsSeen++;
    } else return Number(text.slice(a, b));
  }
  const d = point < 0 ? 0 : b - point - 1;
  if (digitsSeen === 0 || m > Number.MAX_SAFE_INTEGER || d > 22) return Number(text.slice(a, b));
  return d === 0 ? m : m / POW10[d]!;
}

/** First or last character of a plain decimal number: a digit or a point. */
function isNumberEdge(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46;
}

/** The scanner's state across chunks: the header's column indexes and width, the first and last arrival, rows seen. */
class VidurScan {
  ti = -1;
  pi = -1;
  oi = -1;
  width = -1;
  t0 = NaN;
  prev = -Infinity;
  rows = 0;
  /**
   * Offsets of the commas of the current line, then its end: ends[0, ne). A count rather than
   * `ends.length = 0` per line (a runtime call, ~0.2 us, 100k times).
   */
  readonly ends: number[] = [];
  constructor(
    readonly cols: Columns,
    readonly startS: number,
  ) {}
}

/** scanLines' results besides an offset: fall back to the generic reader, or enough rows kept. */
const FALL_BACK = -1;
const STOP = -2;

/**
 * The Vidur scanner: null as soon as anything is not the plain case (a quote, a line starting
 * with a blank, a cell count other than the header's, a cell that is not a bare number, arrivals
 * going back, no rows), so the generic reader decides and words the error. The values are those
 * the generic reader computes: Number() of the same arrival text, the same integer from the same
 * digits, the same subtraction of the first row's arrival.
 */
export function vidurColumns(file: string, limit: number, startS: number): TraceColumns | null {
  const st = new VidurScan(new Columns(limit), startS);
  let carry = '';
  for (const chunk of textChunks(file, 'trace file', limit <= HEAD_FIRST_ROWS)) {
    const text = carry + chunk;
    if (text.includes('"')) return null;
    const pos = scanLines(st, text, false);
    if (pos === FALL_BACK) return null;
    if (pos === STOP) return st.cols;
    carry = text.slice(pos);
    // A record longer than the reader's limit: the generic reader says so.
    if (carry.length > MAX_RECORD_BYTES) return null;
  }
  const r = scanLines(st, carry, true);
  if (r === FALL_BACK || st.rows === 0) return null;
  return st.cols;
}

/**
 * The lines of `text` ended by a line break (and, when `last`, the text after the last one): the
 * offset of the first line not read, or FALL_BACK, or STOP. One loop over locals, written back at
 * the end: a closure per line kept the scan's numbers in its context, the arrival's boxed (a heap
 * number per row), and its call was a fifth of the scan (the whole scan ~110 ms of a parity run).
 */
function scanLines(st: VidurScan, text: string, last: boolean): number {
  const ends = st.ends;
  const cols = st.cols;
  const startS = +st.startS;
  const ti = st.ti;
  const pi = st.pi;
  const oi = st.oi;
  const width = st.width;
  // Numbers from the start (a loop variable started from a field stays boxed: fast-forward.ts).
  let t0 = +st.t0;
  let prev = +st.prev;
  let rows = st.rows;
  let pos = 0;
  let result = 0;
  for (;;) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) {
      if (!last || pos > text.length) break;
      nl = text.length;
    }
    const a = pos;
    let b = nl;
    pos = nl + 1;
    if (b > a && text.charCodeAt(b - 1) === 13) b--;
    if (b === a) continue;
    if (text.charCodeAt(a) <= 32) {
      result = FALL_BACK;
      break;
    }
    if (width < 0) {
      // The header: read once, then scan the rest with its columns.
      st.rows = rows;
      if (!vidurHeader(st, text, a, b)) return FALL_BACK;
      const r = scanLines(st, text.slice(pos), last);
      return r < 0 ? r : r + pos;
    }
    let ne = 0;
    for (let c = text.indexOf(',', a); c >= 0 && c < b; c = text.indexOf(',', c + 1)) ends[ne++] = c;
    ends[ne++] = b;
    if (ne !== width) {
      result = FALL_BACK;
      break;
    }
    const ta = ti === 0 ? a : ends[ti - 1]! + 1;
    const tb = ends[ti]!;
    // Number() also takes blanks around, "0x10" or "Infinity": digits or a point at both edges
    // keep the fast path to plain decimals.
    if (tb <= ta || !isNumberEdge(text.charCodeAt(ta)) || !isNumberEdge(text.charCodeAt(tb - 1))) {
      result = FALL_BACK;
      break;
    }
    const t = decimal(text, ta, tb);
    if (!Number.isFinite(t) || t < 0 || t < prev) {
      result = FALL_BACK;
      break;
    }
    const p = digits(text, pi === 0 ? a : ends[pi - 1]! + 1, ends[pi]!);
    const o = digits(text, oi === 0 ? a : ends[oi - 1]! + 1, ends[oi]!);
    if (p < 0 || o < 0) {
      result = FALL_BACK;
      break;
    }
    rows++;
    prev = t;
    if (rows === 1) t0 = t;
    const arrivalS = t - t0;
    if (arrivalS < startS) continue;
    if (!cols.push(arrivalS, p, o)) {
      result = STOP;
      break;
    }
  }
  st.t0 = t0;
  st.prev = prev;
  st.rows = rows;
  return result < 0 ? result : pos;
}

/** The header line text[a, b): the three columns' indexes and the width into `st`; false if one is missing. */
function vidurHeader(st: VidurScan, text: string, a: number, b: number): boolean {
  const names = text.slice(a, b).split(',').map((c) => c.trim());
  st.width = names.length;
  st.ti = names.indexOf('arrived_at');
  st.pi = names.indexOf('num_prefill_tokens');
  st.oi = names.indexOf('num_decode_tokens');
  return st.ti >= 0 && st.pi >= 0 && st.oi >= 0;
}
