/**
 * The batches in which requests.jsonl records go to the record thread (record-thread.ts): nine
 * numbers a record in one transferable Float64Array (a null time as NaN, which prints null too;
 * the replica as an index into the names sent so far), the replica names new in the batch, and
 * the extra fields of records that have any: numbers only (P/D's six per record) as [index, shape,
 * values...] in a Float64Array, the shape an index into the key lists sent so far; any other
 * record's extra text as [index, text, ...]. Numbers cross as numbers because stringifying six of
 * them per record was ~4 % of a P/D run's thread and 8 % of its allocation (dual12 round).
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
  /** Extra key lists first used in this batch, in index order after those of earlier batches. */
  shapes: string[][];
  /** [record index, shape, one value per key of the shape] per record whose extras are all numbers; `nums` entries used. */
  nums: Float64Array | null;
  nNums: number;
}

/** `,"key":` for each key of a shape: what extraText writes before each value. */
function shapePrefixes(keys: readonly string[]): string[] {
  return keys.map((k) => `,${JSON.stringify(k)}:`);
}

/** Shared counters: batches the thread has written (or counted, after an error); 1 once it failed. */
export const DONE_SLOT = 0;
export const FAILED_SLOT = 1;

/** Writes a batch's records through `writer`, in order (the thread side). */
export function writeBatch(writer: JsonlRecordWriter, b: RecordBatch, names: string[], shapes: string[][]): void {
  names.push(...b.names);
  for (const keys of b.shapes) shapes.push(shapePrefixes(keys));
  const c = b.cols;
  const ex = b.extras;
  let nextExtra = ex !== null ? (ex[0] as number) : -1;
  let e = 0;
  const nums = b.nums;
  const nNums = b.nNums;
  let p = 0;
  let nextNums = nNums > 0 ? nums![0]! : -1;
  for (let i = 0; i < b.n; i++) {
    let extra = '';
    if (i === nextExtra) {
      extra = ex![e + 1] as string;
      e += 2;
      nextExtra = e < ex!.length ? (ex![e] as number) : -1;
    } else if (i === nextNums) {
      const prefixes = shapes[nums![p + 1]!]!;
      p += 2;
      // JSON.stringify of the number: what extraText writes (null for NaN and infinities, 0 for -0).
      for (let k = 0; k < prefixes.length; k++) extra += prefixes[k]! + JSON.stringify(nums![p++]!);
      nextNums = p < nNums ? nums![p]! : -1;
    }
    const o = i * RECORD_FIELDS;
    writer.writeFields(c[o]!, c[o + 1]!, c[o + 2]!, c[o + 3]!, c[o + 4]!, c[o + 5]!, names[c[o + 6]!]!, c[o + 7]!, c[o + 8]!, extra);
  }
}
