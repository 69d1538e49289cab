/**
 * The build-time trace cache: `npm run build` parses each shipped trace once (src/build/trace-cache-write.ts)
 * and stores its columns as raw doubles in dist/trace-cache/, so a run replaying that trace reads
 * the numbers instead of inflating and scanning ~3 MB of text (parity: ~40 ms of a ~0.5 s run).
 * The parser stays the truth: a cache file holds exactly the doubles it computed, and is used only
 * when the trace's bytes are those it was built from (same size and SHA-1), else the trace is parsed.
 *
 * The cache is looked for beside the running module: dist/ in the bundle, which the same build
 * wrote with the same parser; from sources (tsx, tests) there is none, so edited parsing code never
 * meets numbers an older parser wrote. PDSIM_TRACE_CACHE: `off` (always parse), `check` (say on
 * stderr what became of each lookup).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TraceFormat } from './traces.js';

/** The cache folder's name beside the bundle (dist/trace-cache). */
export const TRACE_CACHE_DIR = 'trace-cache';
const MAGIC = 'PDSIMTRC';
const VERSION = 1;

/** A whole trace as the parser read it (every row, arrivals from the first row). */
export interface CachedTrace {
  count: number;
  arrivalS: Float64Array;
  promptTokens: Float64Array;
  outputTokens: Float64Array;
  /** Mooncake traces: row i's hash ids are ids[start[i], start[i + 1]); has[i] 1 when the row had the key. */
  hashes?: { start: Float64Array; ids: Float64Array; has: Uint8Array };
}

interface Header {
  version: number;
  format: TraceFormat;
  /** The trace file's size and the SHA-1 of its bytes (compressed ones for a .gz). */
  traceBytes: number;
  traceSha1: string;
  count: number;
  /** Hash ids stored (-1: no hash columns). */
  ids: number;
  littleEndian: boolean;
}

/** What became of a lookup: `unused` when the caller reads the trace more cheaply without it. */
export type TraceCacheOutcome = 'used' | 'off' | 'missing' | 'stale' | 'corrupt' | 'unused';

/** The cache file of `traceFile` read as `format`, in `dir`. */
export function traceCacheFile(dir: string, traceFile: string, format: TraceFormat): string {
  return path.join(dir, `${path.basename(traceFile)}.${format}.bin`);
}

/** SHA-1 of a file's bytes: a content check, not a security one (an accidental edit, not an attacker). */
export function fileSha1(file: string): string {
  return createHash('sha1').update(readFileSync(file)).digest('hex');
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** Byte length of the data after the header, in the order encode writes it. */
function dataBytes(count: number, ids: number): number {
  return 3 * 8 * count + (ids < 0 ? 0 : 8 * (count + 1) + 8 * ids + count);
}

/** The cache file's bytes: magic, header length (u32 LE), JSON header, zero padding to 8, columns. */
export function encodeTraceCache(t: CachedTrace, format: TraceFormat, traceBytes: number, traceSha1: string): Buffer {
  const ids = t.hashes ? t.hashes.start[t.count]! : -1;
  const header: Header = { version: VERSION, format, traceBytes, traceSha1, count: t.count, ids, littleEndian: endianness() === 'LE' };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const dataAt = align8(MAGIC.length + 4 + json.length);
  const out = Buffer.alloc(dataAt + dataBytes(t.count, ids));
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(json.length, MAGIC.length);
  json.copy(out, MAGIC.length + 4);
  let at = dataAt;
  const put = (a: Float64Array | Uint8Array, n: number): void => {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, n * a.BYTES_PER_ELEMENT);
    out.set(bytes, at);
    at += bytes.length;
  };
  put(t.arrivalS, t.count);
  put(t.promptTokens, t.count);
  put(t.outputTokens, t.count);
  if (t.hashes) {
    put(t.hashes.start, t.count + 1);
    put(t.hashes.ids, ids);
    put(t.hashes.has, t.count);
  }
  return out;
}

/** The header, when `bytes` starts like a cache file of this version and byte order; else null. */
function readHeader(bytes: Buffer): { header: Header; dataAt: number } | null {
  if (bytes.length < MAGIC.length + 4 || bytes.toString('latin1', 0, MAGIC.length) !== MAGIC) return null;
  const n = bytes.readUInt32LE(MAGIC.length);
  if (MAGIC.length + 4 + n > bytes.length) return null;
  let h: Partial<Header>;
  try {
    h = JSON.parse(bytes.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + n)) as Partial<Header>;
  } catch {
    return null;
  }
  const ok = h !== null && typeof h === 'object' && h.version === VERSION && h.littleEndian === (endianness() === 'LE') && typeof h.traceSha1 === 'string' && typeof h.format === 'string';
  const counts = ok && Number.isSafeInteger(h.count) && h.count! >= 0 && Number.isSafeInteger(h.ids) && h.ids! >= -1 && Number.isSafeInteger(h.traceBytes);
  return counts ? { header: h as Header, dataAt: align8(MAGIC.length + 4 + n) } : null;
}

/** The columns of a cache file's bytes (views into them where aligned), or null when the bytes do not add up. */
function decode(bytes: Buffer, header: Header, dataAt: number): CachedTrace | null {
  const { count, ids } = header;
  if (bytes.length !== dataAt + dataBytes(count, ids)) return null;
  // Float64Array views need 8-byte aligned offsets; a Buffer from a pool may not give them.
  const buf = bytes.byteOffset % 8 === 0 ? bytes : Buffer.from(new Uint8Array(bytes));
  let at = buf.byteOffset + dataAt;
  const f64 = (n: number): Float64Array => {
    const a = new Float64Array(buf.buffer, at, n);
    at += 8 * n;
    return a;
  };
  const t: CachedTrace = { count, arrivalS: f64(count), promptTokens: f64(count), outputTokens: f64(count) };
  if (ids >= 0) {
    const start = f64(count + 1);
    const idCol = f64(ids);
    const has = new Uint8Array(buf.buffer, at, count);
    if (start[count] !== ids) return null;
    t.hashes = { start, ids: idCol, has };
  }
  return t;
}

/**
 * The cached columns of `traceFile` read as `format`, when `dir` holds a sound cache file for it
 * and the trace's bytes are those the cache was built from; else why not. Never throws.
 */
export function readTraceCache(dir: string, traceFile: string, format: TraceFormat): { outcome: TraceCacheOutcome; trace?: CachedTrace } {
  const file = traceCacheFile(dir, traceFile, format);
  if (!existsSync(file)) return { outcome: 'missing' };
  try {
    const bytes = readFileSync(file);
    const h = readHeader(bytes);
    if (h === null || h.header.format !== format) return { outcome: 'corrupt' };
    if (statSync(traceFile).size !== h.header.traceBytes || fileSha1(traceFile) !== h.header.traceSha1) return { outcome: 'stale' };
    const trace = decode(bytes, h.header, h.dataAt);
    return trace === null ? { outcome: 'corrupt' } : { outcome: 'used', trace };
  } catch {
    // An unreadable cache or trace: the parser reads the trace and words any error about it.
    return { outcome: 'corrupt' };
  }
}

/** The cache folder a run uses: beside this module (dist/ in the bundle), or none when PDSIM_TRACE_CACHE=off. */
export function runTraceCacheDir(): string | undefined {
  if (process.env.PDSIM_TRACE_CACHE === 'off') return undefined;
  return path.join(path.dirname(fileURLToPath(import.meta.url)), TRACE_CACHE_DIR);
}

/**
 * A run's lookup (in runTraceCacheDir unless given), or null; with PDSIM_TRACE_CACHE=check, says on stderr what
 * became of it. `wanted` false: the caller reads this trace more cheaply itself (only reported).
 */
export function lookUpTrace(traceFile: string, format: TraceFormat, wanted = true, dir: string | undefined = runTraceCacheDir()): CachedTrace | null {
  const r: { outcome: TraceCacheOutcome; trace?: CachedTrace } = dir === undefined ? { outcome: 'off' } : wanted ? readTraceCache(dir, traceFile, format) : { outcome: 'unused' };
  if (process.env.PDSIM_TRACE_CACHE === 'check') process.stderr.write(`pdsim: trace cache ${r.outcome} (${path.basename(traceFile)})\n`);
  return r.trace ?? null;
}

/**
 * Rows [first, first + n) of a cached trace: the first `limit` arriving at or after `startS`, as
 * the readers keep them (traces are checked non-decreasing in arrival, so they are contiguous).
 */
export function keptRange(t: CachedTrace, limit: number, startS: number): { first: number; n: number } {
  let lo = 0;
  let hi = t.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t.arrivalS[mid]! < startS) lo = mid + 1;
    else hi = mid;
  }
  return { first: lo, n: Math.max(0, Math.min(limit, t.count - lo)) };
}
