/**
 * Streams per-request records to requests.jsonl as they complete, in 64 KiB chunks, so memory does
 * not grow with the run and an interrupt keeps everything flushed so far.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { RecordWriter } from '../metrics/collector.js';
import type { RequestRecord } from '../serving/types.js';

export class JsonlRecordWriter implements RecordWriter {
  private buf: string[] = [];
  private size = 0;
  private readonly fd: number;
  written = 0;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'w');
  }

  write(rec: RequestRecord): void {
    const line = recordLine(rec);
    this.buf.push(line);
    this.size += line.length;
    this.written++;
    if (this.size >= 65536) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0) return;
    writeSync(this.fd, this.buf.join(''));
    this.buf = [];
    this.size = 0;
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
