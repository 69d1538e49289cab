/**
 * The record thread (a worker thread): receives requests.jsonl records in batches from
 * record-thread.ts and encodes and writes them with the same writer a synchronous run uses, so
 * the file is byte for byte the same and a write error leaves whole lines only. It reports the
 * first error at once (the run stops at its next slice) and its counts when told to close.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DONE_SLOT, FAILED_SLOT, writeBatch, type RecordBatch } from './record-batch.js';
import { JsonlRecordWriter } from './record-writer.js';

const data = workerData as { file: string; fd: number; shared: SharedArrayBuffer };
const shared = new Int32Array(data.shared);
const writer = new JsonlRecordWriter(data.file, undefined, data.fd);
const names: string[] = [];
const shapes: string[][] = [];
let reported = false;
const port = parentPort!;

port.on('message', (m: RecordBatch | { close: true }) => {
  try {
    if ('close' in m) {
      // The descriptor is the main thread's to close (a thread closing it draws a warning).
      writer.flush();
      port.postMessage({ kind: 'closed', flushed: writer.flushed, detail: writer.errorDetail });
      port.close();
      return;
    }
    writeBatch(writer, m, names, shapes);
    if (writer.error && !reported) {
      reported = true;
      port.postMessage({ kind: 'error', flushed: writer.flushed, detail: writer.errorDetail });
    }
  } catch (e) {
    // A bug, not a disk error (those the writer keeps): tell a main thread that may be waiting.
    Atomics.store(shared, FAILED_SLOT, 1);
    Atomics.notify(shared, DONE_SLOT);
    throw e;
  }
  Atomics.add(shared, DONE_SLOT, 1);
  Atomics.notify(shared, DONE_SLOT);
});
