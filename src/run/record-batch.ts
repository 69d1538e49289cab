/**
 * The batches in which requests.jsonl records go to the record thread (record-thread.ts): nine
 * numbers a record in one transferable Float64Array (a null time as NaN, which prints null too;
 * the replica as an index into the names sent so far), the replica names new in the batch, and
 * the extra fields' text of the few records that have any, as [index, text, ...].
 */
import type { JsonlRecordWriter } from './record-writer.js';

export const RECORD_FIELDS = 9;

export interface RecordBatch {
  cols: Float64Array;
  n: number;
  /** Replica names first used in this batch, in index order after those of earlier batches. */
  names: string[];
  /** Flattened [record index in batch, extraText] pairs, or null when no record has extras. */
  extras: (number | string)[] | null;
}

/** Shared counters: batches the thread has written (or counted, after an error); 1 once it failed. */
export const DONE_SLOT = 0;
export const FAILED_SLOT = 1;

/** Writes a batch's records through `writer`, in order (the thread side). */
export function writeBatch(writer: JsonlRecordWriter, b: RecordBatch, names: string[]): void {
  names.push(...b.names);
  const c = b.cols;
  const ex = b.extras;
  let nextExtra = ex !== null ? (ex[0] as number) : -1;
  let e = 0;
  for (let i = 0; i < b.n; i++) {
    let extra = '';
    if (i === nextExtra) {
      extra = ex![e + 1] as string;
      e += 2;
      nextExtra = e < ex!.length ? (ex![e] as number) : -1;
    }
    const o = i * RECORD_FIELDS;
    writer.writeFields(c[o]!, c[o + 1]!, c[o + 2]!, c[o + 3]!, c[o + 4]!, c[o + 5]!, names[c[o + 6]!]!, c[o + 7]!, c[o + 8]!, extra);
  }
}
