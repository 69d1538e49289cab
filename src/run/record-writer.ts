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
    const line = JSON.stringify(rec) + '\n';
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
