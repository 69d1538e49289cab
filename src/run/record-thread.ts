/**
 * requests.jsonl written on a second thread, so that encoding the lines overlaps the simulation
 * (on the parity run's 100k records it is ~0.2 s of the main thread's time otherwise). The run's
 * thread only copies each record's nine numbers into a batch (record-batch.ts) and hands batches
 * over without copying; the record thread (record-worker.ts) encodes and writes them in order with
 * the synchronous writer, so the file is the same bytes. Closing waits until every record handed
 * over is in the file (an interrupted run keeps all it did); a write error comes back as soon as
 * the thread meets it, and the run stops at its next slice as it does with the synchronous writer.
 * Memory stays bounded: past MAX_IN_FLIGHT batches not yet written, the run waits for the thread.
 */
import { closeSync, existsSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.js';
import type { RecordWriter } from '../metrics/collector.js';
import { packageRoot } from '../package-files.js';
import type { RequestRecord } from '../serving/types.js';
import { DONE_SLOT, FAILED_SLOT, RECORD_FIELDS, type RecordBatch } from './record-batch.js';
import { extraKeys, extraText } from './record-bytes.js';
import { JsonlRecordWriter } from './record-writer.js';

/** What simulate needs of a requests.jsonl writer, threaded or not. */
export interface RecordSink extends RecordWriter {
  readonly file: string;
  readonly error: UserError | undefined;
  readonly errorDetail: string | undefined;
  /** Records that reached the file as whole lines (final once closed). */
  readonly flushed: number;
  close(): void | Promise<void>;
}

/** Below this many records a thread's start (~20-40 ms of CPU) costs more than it saves. */
export const THREAD_MIN_RECORDS = 20_000;
/**
 * Records a batch: each hand-over wakes the thread, and on a busy machine a wake-up can cost the
 * run its time slice, so batches are large (12 per 100k records).
 */
const BATCH_RECORDS = 8192;
/** Batches handed over and not yet written, at most (~590 KB each). */
const MAX_IN_FLIGHT = 8;
/** The longest the run waits for the thread to catch up before calling it a bug. */
const STALL_LIMIT_MS = 120_000;

/** The record thread's module: the bundle's entry beside dist/pdsim.mjs, or the sources' bootstrap. */
export function recordWorkerUrl(): URL | null {
  const url = import.meta.url.endsWith('.ts') ? new URL('./record-worker-entry.mjs', import.meta.url) : pathToFileURL(path.join(packageRoot(), 'dist', 'record-worker.cjs'));
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : null;
}

/** A writer for `file`: on a thread when the run has many records and the thread's module is there. */
export function openRecordSink(file: string, expectedRecords: number): RecordSink {
  const url = expectedRecords >= THREAD_MIN_RECORDS ? recordWorkerUrl() : null;
  return url === null ? new JsonlRecordWriter(file) : new ThreadedRecordWriter(file, url);
}

export class ThreadedRecordWriter implements RecordSink {
  error: UserError | undefined;
  errorDetail: string | undefined;
  flushed = 0;
  written = 0;
  private readonly worker: Worker;
  private readonly shared = new Int32Array(new SharedArrayBuffer(8));
  private cols: Float64Array<ArrayBuffer>;
  private n = 0;
  private names: string[] = [];
  private extras: (number | string)[] | null = null;
  /** Records' numeric extras (record-batch.ts), the key lists new in this batch, the last list used. */
  private nums = new Float64Array(1024);
  private nNums = 0;
  private shapes: string[][] = [];
  private shapeKeys: string[] = [];
  private shapeIndex = -1;
  private readonly allShapes: string[][] = [];
  /** extraKeys' scratch list. */
  private readonly extraKeys: string[] = [];
  private readonly replicaIndex = new Map<string, number>();
  private lastReplica = '';
  private lastIndex = -1;
  private sent = 0;
  private readonly fd: number;
  private closing: Promise<void> | null = null;
  private failure: Error | null = null;

  constructor(
    readonly file: string,
    url: URL,
    private readonly batchRecords = BATCH_RECORDS,
  ) {
    const fd = (this.fd = openSync(file, 'w'));
    this.cols = new Float64Array(batchRecords * RECORD_FIELDS);
    this.worker = new Worker(url, { workerData: { file, fd, shared: this.shared.buffer } });
    // The thread never keeps the process alive by itself (close() holds it while it finishes).
    this.worker.unref();
    this.worker.on('message', (m: { kind: 'error' | 'closed'; flushed: number; detail?: string }) => {
      this.flushed = m.flushed;
      if (m.detail !== undefined && this.error === undefined) {
        this.errorDetail = m.detail;
        this.error = new UserError(m.detail, file);
      }
    });
    this.worker.on('error', (e) => (this.failure = e));
    this.worker.on('exit', () => (this.exited = true));
  }

  private exited = false;
  private closed = false;

  write(rec: RequestRecord, baseOnly?: boolean): void {
    this.written++;
    const o = this.n * RECORD_FIELDS;
    const c = this.cols;
    c[o] = rec.id;
    c[o + 1] = rec.arrivalS;
    c[o + 2] = rec.firstTokenS ?? NaN;
    c[o + 3] = rec.finishS ?? NaN;
    c[o + 4] = rec.promptTokens;
    c[o + 5] = rec.outputTokens;
    c[o + 6] = rec.replica === this.lastReplica ? this.lastIndex : this.replica(rec.replica);
    c[o + 7] = rec.preemptions;
    c[o + 8] = rec.cachedPromptTokens;
    if (baseOnly !== true && !this.numbers(rec)) {
      const extra = extraText(rec);
      if (extra !== '') (this.extras ??= []).push(this.n, extra);
    }
    if (++this.n === this.batchRecords) this.post();
  }

  /**
   * Puts the record's extra fields (the keys extraText would write, in its order) into `nums` when
   * every value is a number, as [record index, shape, values...]; false (nothing kept) otherwise.
   * The shape is the last one used when the keys match it, so a run's P/D records allocate nothing.
   */
  private numbers(rec: RequestRecord): boolean {
    const extra = this.extraKeys;
    const n = extraKeys(rec, extra);
    if (n === 0) return true;
    const start = this.nNums;
    let p = start + 2;
    for (let j = 0; j < n; j++) {
      const v = rec[extra[j]! as keyof RequestRecord];
      if (typeof v !== 'number') return false;
      if (p >= this.nums.length) this.growNums();
      this.nums[p++] = v;
    }
    const keys = this.shapeKeys;
    let same = keys.length === n;
    for (let j = 0; same && j < n; j++) same = keys[j] === extra[j];
    if (!same) this.useShape(extra.slice(0, n));
    this.nums[start] = this.n;
    this.nums[start + 1] = this.shapeIndex;
    this.nNums = p;
    return true;
  }

  /** Makes `keys` the current shape: one seen before (a run has a few), else a new one the thread is sent. */
  private useShape(keys: string[]): void {
    let at = this.allShapes.findIndex((known) => known.length === keys.length && known.every((k, i) => k === keys[i]));
    if (at < 0) {
      at = this.allShapes.length;
      this.allShapes.push(keys);
      this.shapes.push(keys);
    }
    this.shapeKeys = this.allShapes[at]!;
    this.shapeIndex = at;
  }

  private growNums(): void {
    const bigger = new Float64Array(2 * this.nums.length);
    bigger.set(this.nums);
    this.nums = bigger;
  }

  private replica(name: string): number {
    let i = this.replicaIndex.get(name);
    if (i === undefined) {
      i = this.replicaIndex.size;
      this.replicaIndex.set(name, i);
      this.names.push(name);
    }
    this.lastReplica = name;
    this.lastIndex = i;
    return i;
  }

  private post(): void {
    if (this.failure) throw this.failure;
    const nums = this.nNums > 0 ? this.nums : null;
    const numsLength = this.nums.length;
    const batch: RecordBatch = { cols: this.cols, n: this.n, names: this.names, extras: this.extras, shapes: this.shapes, nums, nNums: this.nNums };
    this.worker.postMessage(batch, nums !== null ? [this.cols.buffer, nums.buffer] : [this.cols.buffer]);
    this.sent++;
    this.cols = new Float64Array(this.batchRecords * RECORD_FIELDS);
    // (A transferred buffer reads as length 0.)
    if (nums !== null) this.nums = new Float64Array(numsLength);
    this.nNums = 0;
    this.n = 0;
    this.names = [];
    this.shapes = [];
    this.extras = null;
    if (this.sent - Atomics.load(this.shared, DONE_SLOT) > MAX_IN_FLIGHT) this.waitFor(this.sent - MAX_IN_FLIGHT);
  }

  /** Blocks until the thread has written `batches` batches (it is behind: bounded memory). */
  private waitFor(batches: number): void {
    const deadline = Date.now() + STALL_LIMIT_MS;
    for (;;) {
      const done = Atomics.load(this.shared, DONE_SLOT);
      if (done >= batches) return;
      if (Atomics.load(this.shared, FAILED_SLOT) !== 0) throw new Error('the requests.jsonl thread failed');
      if (Date.now() > deadline) throw new Error(`the requests.jsonl thread made no progress for ${STALL_LIMIT_MS / 1000} s`);
      Atomics.wait(this.shared, DONE_SLOT, done, 100);
    }
  }

  /** Hands over the last batch and resolves once the thread has written everything and closed the file. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.n > 0) this.post();
    this.worker.ref();
    this.closing = new Promise<void>((resolve, reject) => {
      const gone = () => reject(this.failure ?? new Error('the requests.jsonl thread ended before closing the file'));
      if (this.exited) return gone();
      this.worker.on('message', (m: { kind: string }) => {
        if (m.kind !== 'closed') return;
        this.closed = true;
        closeSync(this.fd);
        resolve();
      });
      this.worker.on('exit', () => {
        if (!this.closed) gone();
      });
      this.worker.postMessage({ close: true });
    });
    return this.closing;
  }
}
