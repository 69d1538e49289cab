/**
 * Trace readers (plain or gzip-compressed `.gz` files): Azure LLM inference trace CSV, Mooncake JSONL (with prefix `hash_ids`), and
 * vidur's request CSV, streamed record by record (src/io/records.ts: memory O(chunk), not O(trace)).
 * Every cell is validated: lengths are positive integers, arrival times finite, non-negative and
 * non-decreasing, Azure timestamps honour a zone suffix (UTC when none, as the trace is). Errors name
 * the file and line. Arrival times are seconds from the trace's first request.
 */
import { UserError } from '../errors.js';
import { csvRecords, lines, type CsvRecord } from '../io/records.js';
import { workloadMessages } from '../messages/workload.js';

export interface TraceRow {
  arrivalS: number;
  promptTokens: number;
  outputTokens: number;
  prefixHashes?: number[];
  /** Line of the file the row came from, for later error messages. */
  line: number;
}

export type TraceFormat = 'azure' | 'mooncake' | 'vidur';

/** Mooncake hash_ids cover 512-token blocks (Mooncake FAST'25 trace README). */
export const MOONCAKE_BLOCK_TOKENS = 512;

function positiveInt(raw: string | undefined, file: string, line: number, column: string): number {
  // Fast path, the usual cell: 1 to 15 ASCII digits (exact in a double), not all zeros.
  if (raw !== undefined && raw.length > 0 && raw.length <= 15) {
    let v = 0;
    let i = 0;
    for (; i < raw.length; i++) {
      const d = raw.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === raw.length && v >= 1) return v;
  }
  const t = raw?.trim() ?? '';
  const v = Number(t);
  if (!/^\d+$/.test(t) || v < 1 || !Number.isSafeInteger(v)) {
    throw new UserError(workloadMessages.columnNotTokenCount(column, raw ?? ''), file, `line ${line}`);
  }
  return v;
}

function header(first: CsvRecord | undefined, file: string, required: readonly string[]): Map<string, number> {
  if (!first) throw new UserError(workloadMessages.emptyTraceFile(), file);
  const cells = first.cells.map((c) => c.trim());
  const columns = new Map(cells.map((h, i) => [h, i]));
  for (const r of required) {
    if (!columns.has(r)) throw new UserError(workloadMessages.missingTraceColumn(r, cells.join(', ')), file, `line ${first.line}`);
  }
  return columns;
}

const AZURE_TS = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** "2023-11-16 18:15:46.6805900" (7 fractional digits, which Date cannot parse: split off), UTC unless a zone is given. */
export function parseAzureTimestamp(s: string | undefined, file: string, line: number): number {
  const m = AZURE_TS.exec(s?.trim() ?? '');
  const zone = m?.[4] === undefined ? 'Z' : m[4].length === 5 ? `${m[4].slice(0, 3)}:${m[4].slice(3)}` : m[4];
  const t = m ? Date.parse(`${m[1]}T${m[2]}${zone}`) : NaN;
  // Date.parse rolls 2023-02-31 over to March; a round trip catches impossible dates.
  const valid = Number.isFinite(t) && m !== null && new Date(Date.parse(`${m[1]}T00:00:00Z`)).toISOString().slice(0, 10) === m[1];
  if (!valid) throw new UserError(workloadMessages.badTimestampColumn(s ?? ''), file, `line ${line}`);
  return t / 1000 + (m[3] ? Number(m[3]) : 0);
}

function* rawRows(file: string, format: TraceFormat): Generator<TraceRow> {
  if (format === 'mooncake') {
    for (const { text, line } of lines(file, 'trace file')) {
      if (text.trim() === '') continue;
      let o: unknown;
      try {
        o = JSON.parse(text);
      } catch {
        throw new UserError(workloadMessages.invalidMooncakeLine(), file, `line ${line}`);
      }
      if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new UserError(workloadMessages.notAMooncakeRecord(), file, `line ${line}`);
      const rec = o as Record<string, unknown>;
      const len = (k: string): number => {
        const v = rec[k];
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new UserError(workloadMessages.keyNotTokenCount(k, JSON.stringify(v) ?? 'nothing'), file, `line ${line}`);
        return v;
      };
      const ts = rec.timestamp;
      if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) throw new UserError(workloadMessages.badTimestampKey(JSON.stringify(ts) ?? 'nothing'), file, `line ${line}`);
      const hashes = rec.hash_ids;
      if (hashes !== undefined && !(Array.isArray(hashes) && hashes.every((h) => Number.isSafeInteger(h)))) {
        throw new UserError(workloadMessages.hashIdsNotIntegers(), file, `line ${line}`);
      }
      yield { arrivalS: ts / 1000, promptTokens: len('input_length'), outputTokens: len('output_length'), prefixHashes: hashes as number[] | undefined, line };
    }
    return;
  }
  const cols = format === 'azure' ? ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'] : ['arrived_at', 'num_prefill_tokens', 'num_decode_tokens'];
  const records = csvRecords(file, 'trace file');
  const first = records.next();
  const columns = header(first.done ? undefined : first.value, file, cols);
  const [ti, pi, oi] = cols.map((c) => columns.get(c)!) as [number, number, number];
  const width = first.done ? 0 : first.value.cells.length;
  for (const { cells, line } of records) {
    if (cells.length !== width) throw new UserError(workloadMessages.cellCountMismatch(width, [...columns.keys()].join(', '), cells.length), file, `line ${line}`);
    let t: number;
    if (format === 'azure') t = parseAzureTimestamp(cells[ti], file, line);
    else {
      const raw = cells[ti]!.trim();
      t = Number(raw);
      if (raw === '' || !Number.isFinite(t) || t < 0) throw new UserError(workloadMessages.badArrivedAtColumn(cells[ti]), file, `line ${line}`);
    }
    yield { arrivalS: t, promptTokens: positiveInt(cells[pi], file, line, cols[1]!), outputTokens: positiveInt(cells[oi], file, line, cols[2]!), line };
  }
}

/** Rows in file order, arrival seconds from the first row; decreasing arrival times are an error. */
export function* traceRows(file: string, format: TraceFormat): Generator<TraceRow> {
  let t0: number | undefined;
  let prev = -Infinity;
  let prevLine = 0;
  for (const row of rawRows(file, format)) {
    t0 ??= row.arrivalS;
    if (row.arrivalS < prev) {
      throw new UserError(workloadMessages.traceNotSorted((prev - row.arrivalS).toFixed(3), prevLine), file, `line ${row.line}`);
    }
    prev = row.arrivalS;
    prevLine = row.line;
    row.arrivalS -= t0;
    yield row;
  }
  if (t0 === undefined) throw new UserError(workloadMessages.traceHasNoRequests(), file);
}

/** The whole trace in memory (tests and small traces; runs stream with traceRows). */
export function readTrace(file: string, format: TraceFormat): TraceRow[] {
  return [...traceRows(file, format)];
}

/** Reads one length column (CSV) or key (JSONL) as a list of positive integers, for empirical distributions. */
export function readLengthColumn(file: string, column: string): number[] {
  const out: number[] = [];
  if (file.endsWith('.jsonl')) {
    for (const { text, line } of lines(file, 'lengths file')) {
      if (text.trim() === '') continue;
      let o: unknown;
      try {
        o = JSON.parse(text);
      } catch {
        throw new UserError(workloadMessages.invalidJsonLine(), file, `line ${line}`);
      }
      const v = o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[column] : undefined;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new UserError(workloadMessages.keyNotTokenCount(column, JSON.stringify(v) ?? 'nothing'), file, `line ${line}`);
      out.push(v);
    }
  } else {
    const records = csvRecords(file, 'lengths file');
    const first = records.next();
    const ci = header(first.done ? undefined : first.value, file, [column]).get(column)!;
    for (const { cells, line } of records) out.push(positiveInt(cells[ci], file, line, column));
  }
  if (out.length === 0) throw new UserError(workloadMessages.noLengthsInColumn(column), file);
  return out;
}
