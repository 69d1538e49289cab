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

// String(x) prints a finite number exactly as JSON.stringify does, without its generic path.
const num = (x: number | null): string => (x === null || !Number.isFinite(x) ? 'null' : String(x));

/**
 * One JSON line; the same text as JSON.stringify(rec) for these fields, built by hand because it
 * runs once per request and JSON.stringify's generic path dominated the benchmark's write time.
 */
export function recordLine(rec: RequestRecord): string {
  let s = `{"id":${rec.id},"arrivalS":${num(rec.arrivalS)},"firstTokenS":${num(rec.firstTokenS)},"finishS":${num(rec.finishS)},"promptTokens":${rec.promptTokens},"outputTokens":${rec.outputTokens},"replica":${JSON.stringify(rec.replica)},"preemptions":${rec.preemptions},"cachedPromptTokens":${rec.cachedPromptTokens}`;
  for (const k of Object.keys(rec)) {
    if (!(k in BASE_KEYS)) s += `,${JSON.stringify(k)}:${JSON.stringify(rec[k as keyof RequestRecord])}`;
  }
  return s + '}\n';
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
