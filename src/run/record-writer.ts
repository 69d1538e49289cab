/**
 * Streams per-request records to requests.jsonl as they complete, in 64 KiB chunks of whole lines,
 * so memory does not grow with the run and an interrupt keeps everything flushed so far. Every write
 * is checked: a short write (the disk filled mid-chunk) or an error (ENOSPC, EIO) truncates the
 * file back to its last complete line, so it never ends in half a record, and the writer keeps the
 * error for the caller to stop the run and report; later records are counted, not written.
 * Lines are encoded straight into the chunk's bytes (record-bytes.ts), the same bytes as recordLine.
 */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { RecordWriter } from '../metrics/collector.js';
import type { RequestRecord } from '../serving/types.js';
import { TYPICAL_LINE_BYTES, RecordEncoder, extraText } from './record-bytes.js';

/** writeSync's shape; tests inject a failing one. */
export type WriteFn = (fd: number, buf: Buffer, offset: number, length: number) => number;

const CHUNK_BYTES = 65536;

export class JsonlRecordWriter implements RecordWriter {
  private readonly enc = new RecordEncoder(CHUNK_BYTES + 4 * TYPICAL_LINE_BYTES);
  private readonly fd: number;
  /** Bytes of complete lines in the file. */
  private goodBytes = 0;
  written = 0;
  /** Records that reached the file (whole lines). */
  flushed = 0;
  private pendingRecords = 0;
  /** Set when a write failed; the run should stop and report it. */
  error: UserError | undefined;
  /** The error's message without the file name. */
  errorDetail: string | undefined;

  constructor(
    readonly file: string,
    private readonly writeFn: WriteFn = (fd, b, o, l) => writeSync(fd, b, o, l),
    /** A descriptor already open on `file` (the record thread's), else the file is created. */
    fd?: number,
  ) {
    this.fd = fd ?? openSync(file, 'w');
  }

  write(rec: RequestRecord, baseOnly?: boolean): void {
    this.writeFields(rec.id, rec.arrivalS, rec.firstTokenS, rec.finishS, rec.promptTokens, rec.outputTokens, rec.replica, rec.preemptions, rec.cachedPromptTokens, baseOnly === true ? '' : extraText(rec));
  }

  /** write() of a record given field by field (RecordEncoder.fields). */
  writeFields(id: number, arrivalS: number, firstTokenS: number | null, finishS: number | null, promptTokens: number, outputTokens: number, replica: string, preemptions: number, cachedPromptTokens: number, extra: string): void {
    this.written++;
    if (this.error) return;
    this.enc.fields(id, arrivalS, firstTokenS, finishS, promptTokens, outputTokens, replica, preemptions, cachedPromptTokens, extra);
    this.pendingRecords++;
    if (this.enc.pos >= CHUNK_BYTES) this.flush();
  }

  flush(): void {
    if (this.enc.pos === 0 || this.error) return;
    // A view of the encoder's bytes: written (or failed) before any new line reuses them.
    const data = this.enc.buf.subarray(0, this.enc.pos);
    const records = this.pendingRecords;
    this.pendingRecords = 0;
    let off = 0;
    try {
      while (off < data.length) {
        const n = this.writeFn(this.fd, data, off, data.length - off);
        // A zero-byte write makes no progress: the device is full in all but name.
        if (n <= 0) throw Object.assign(new Error('no space left on device (write returned 0)'), { code: 'ENOSPC' });
        off += n;
      }
      this.goodBytes += data.length;
      this.flushed += records;
    } catch (e) {
      this.fail(e as NodeJS.ErrnoException, data, off);
    }
    this.enc.pos = 0;
  }

  private fail(e: NodeJS.ErrnoException, data: Buffer, off: number): void {
    // Keep the whole lines of the part that made it; cut the half line after them.
    const lastNl = data.lastIndexOf(10, off - 1);
    const keep = off > 0 && lastNl >= 0 ? lastNl + 1 : 0;
    let wholeLines = 0;
    for (let i = data.indexOf(10); i >= 0 && i < keep; i = data.indexOf(10, i + 1)) wholeLines++;
    try {
      ftruncateSync(this.fd, this.goodBytes + keep);
      this.goodBytes += keep;
      this.flushed += wholeLines;
    } catch {
      // A device (/dev/full) cannot be truncated; nothing partial reached it anyway.
    }
    const what = e.code === 'ENOSPC' ? 'the disk is full (ENOSPC)' : e.code === 'EIO' ? 'an I/O error (EIO)' : `${e.code ?? 'an error'}: ${e.message}`;
    this.errorDetail = `writing stopped: ${what}; the file holds ${this.flushed} complete records, whole lines only`;
    this.error = new UserError(this.errorDetail, this.file);
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * Seconds printed to the microsecond with integer arithmetic: shortest-round-trip printing of
 * doubles was the largest single cost of writing a 100k-request file. Exact integers stay exact.
 */
export function secondsText(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return 'null';
  const us = Math.round(Math.abs(x) * 1e6);
  const whole = Math.floor(us / 1e6);
  const frac = us - whole * 1e6;
  const sign = x < 0 && us > 0 ? '-' : '';
  return frac === 0 ? `${sign}${whole}` : `${sign}${whole}.${String(frac).padStart(6, '0')}`;
}
const num = secondsText;

/**
 * One JSON line per request, built by hand because it runs once per request and JSON.stringify's
 * generic path dominated the benchmark's write time. Times (seconds) are rounded to the microsecond.
 */
export function recordLine(rec: RequestRecord): string {
  let s = `{"id":${rec.id},"arrivalS":${num(rec.arrivalS)},"firstTokenS":${num(rec.firstTokenS)},"finishS":${num(rec.finishS)},"promptTokens":${rec.promptTokens},"outputTokens":${rec.outputTokens},"replica":${replicaJson(rec.replica)},"preemptions":${rec.preemptions},"cachedPromptTokens":${rec.cachedPromptTokens}`;
  // for-in rather than Object.keys: no array per record (records are plain object literals).
  for (const k in rec) {
    if (!(k in BASE_KEYS)) s += `,${JSON.stringify(k)}:${JSON.stringify(rec[k as keyof RequestRecord])}`;
  }
  return s + '}\n';
}

/** Replica names repeat (instances, or prefill->decode pairs): quote each once. */
const replicaCache = new Map<string, string>();
function replicaJson(name: string): string {
  let q = replicaCache.get(name);
  if (q === undefined) {
    q = JSON.stringify(name);
    if (replicaCache.size < 4096) replicaCache.set(name, q);
  }
  return q;
}
const BASE_KEYS = { id: 1, arrivalS: 1, firstTokenS: 1, finishS: 1, promptTokens: 1, outputTokens: 1, replica: 1, preemptions: 1, cachedPromptTokens: 1 };

/** Keeps nothing (benchmarks and in-memory runs). */
export class NullRecordWriter implements RecordWriter {
  written = 0;
  write(): void {
    this.written++;
  }
}

/** Keeps every record in memory (tests, small runs). */
export class MemoryRecordWriter implements RecordWriter {
  readonly records: RequestRecord[] = [];
  write(rec: RequestRecord): void {
    this.records.push(rec);
  }
}
