/**
 * A Mooncake trace's replayed rows read once into columns: arrival seconds, the two lengths, and
 * every row's hash_ids packed in one Float64Array (8 bytes an id, ~24 ids a conversation row, about
 * the size of the ids' own text), so the run neither reads the file twice (a validating count, then
 * the replay: each pass a gunzip, a split into lines and a JSON.parse per line) nor keeps a row
 * object or array per request between the two. Rows are validated by traceRows, which words every error.
 */
import { Columns, grown, type TraceColumns } from './trace-columns.js';
import { traceRows } from './traces.js';

export interface MooncakeColumns extends TraceColumns {
  /** Row i's hash ids are hashIds[hashStart[i], hashStart[i + 1]) (count + 1 entries, or more). */
  hashStart: Float64Array;
  hashIds: Float64Array;
  /** Row i had a hash_ids key (an empty list counts). */
  hasHashes: Uint8Array;
}

/**
 * The first `limit` rows arriving at or after `startS` (seconds from the file's first row). As the
 * streamed replay did, the row after the last one kept is read too (so a bad row right after it is
 * still reported), and nothing after that.
 */
export function mooncakeColumns(file: string, limit: number, startS: number): MooncakeColumns {
  const cols = new Columns(Math.max(1, limit));
  let ids = new Float64Array(1024);
  let nIds = 0;
  let starts = new Float64Array(Math.min(Math.max(1, limit), 1024) + 1);
  let has = new Uint8Array(starts.length);
  let n = 0;
  for (const r of traceRows(file, 'mooncake')) {
    if (n >= limit) break;
    if (r.arrivalS < startS) continue;
    if (n + 1 >= starts.length) {
      const size = Math.min(limit + 1, starts.length * 2);
      starts = grown(starts, size);
      has = grown(has, size);
    }
    starts[n] = nIds;
    const h = r.prefixHashes;
    if (h !== undefined) {
      has[n] = 1;
      if (nIds + h.length > ids.length) ids = grown(ids, Math.max(ids.length * 2, nIds + h.length));
      for (let k = 0; k < h.length; k++) ids[nIds++] = h[k]!;
    }
    n++;
    cols.push(r.arrivalS, r.promptTokens, r.outputTokens);
  }
  starts[n] = nIds;
  return { count: n, arrivalS: cols.arrivalS, promptTokens: cols.promptTokens, outputTokens: cols.outputTokens, hashStart: starts, hashIds: ids, hasHashes: has };
}

/** Row i's hash ids as a new array, undefined when the row had none. */
export function rowHashes(c: MooncakeColumns, i: number): number[] | undefined {
  if (c.hasHashes[i] === 0) return undefined;
  const out: number[] = [];
  for (let k = c.hashStart[i]!, end = c.hashStart[i + 1]!; k < end; k++) out.push(c.hashIds[k]!);
  return out;
}
