/**
 * Trace readers (plain or gzip-compressed `.gz` files): Azure LLM inference trace CSV, Mooncake JSONL
 * (with prefix `hash_ids`), and vidur's request CSV. Errors name the file and line. Arrival times
 * are returned in seconds from the trace's first request.
 */
import { UserError } from '../errors.js';
import { readTextFile } from '../package-files.js';

export interface TraceRow {
  arrivalS: number;
  promptTokens: number;
  outputTokens: number;
  prefixHashes?: number[];
}

export type TraceFormat = 'azure' | 'mooncake' | 'vidur';

/** Mooncake hash_ids cover 512-token blocks (Mooncake FAST'25 trace README). */
export const MOONCAKE_BLOCK_TOKENS = 512;

function readText(file: string): string {
  try {
    return readTextFile(file);
  } catch {
    throw new UserError('trace file not found or not readable', file);
  }
}

function positiveInt(raw: string | undefined, file: string, line: number, column: string): number {
  const v = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isInteger(v) || v < 0) {
    throw new UserError(`column "${column}" must be a non-negative integer, got "${raw ?? ''}"`, file, `line ${line}`);
  }
  return v;
}

function csvHeader(text: string, file: string, required: readonly string[]): { columns: Map<string, number>; bodyStart: number } {
  const firstEnd = text.indexOf('\n');
  const headerLine = (firstEnd < 0 ? text : text.slice(0, firstEnd)).replace(/\r$/, '');
  const cells = headerLine.split(',').map((c) => c.trim());
  const columns = new Map(cells.map((h, i) => [h, i]));
  for (const r of required) {
    if (!columns.has(r)) throw new UserError(`missing column "${r}" in the header (found: ${cells.join(', ')})`, file, 'line 1');
  }
  return { columns, bodyStart: firstEnd < 0 ? text.length : firstEnd + 1 };
}

function parseAzureTimestamp(s: string | undefined, file: string, line: number): number {
  // "2023-11-16 18:15:46.6805900": 7 fractional digits, which Date cannot parse; split them off.
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?/.exec(s?.trim() ?? '');
  if (!m) throw new UserError(`column "TIMESTAMP" must look like "2023-11-16 18:15:46.6805900", got "${s ?? ''}"`, file, `line ${line}`);
  return Date.parse(`${m[1]}T${m[2]}Z`) / 1000 + (m[3] ? Number(m[3]) : 0);
}

export function readTrace(file: string, format: TraceFormat): TraceRow[] {
  const text = readText(file);
  const out: TraceRow[] = [];
  if (format === 'mooncake') {
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!.trim();
      if (l === '') continue;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new UserError('not valid JSON (Mooncake traces have one JSON object a line)', file, `line ${i + 1}`);
      }
      const num = (k: string): number => {
        const v = o[k];
        if (typeof v !== 'number' || !(v >= 0)) throw new UserError(`key "${k}" must be a non-negative number`, file, `line ${i + 1}`);
        return v;
      };
      const hashes = o.hash_ids;
      if (hashes !== undefined && !(Array.isArray(hashes) && hashes.every((h) => typeof h === 'number'))) {
        throw new UserError('key "hash_ids" must be an array of numbers', file, `line ${i + 1}`);
      }
      out.push({ arrivalS: num('timestamp') / 1000, promptTokens: num('input_length'), outputTokens: num('output_length'), prefixHashes: hashes as number[] | undefined });
    }
  } else {
    const cols = format === 'azure' ? ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'] : ['arrived_at', 'num_prefill_tokens', 'num_decode_tokens'];
    const header = csvHeader(text, file, cols);
    const [ti, pi, oi] = cols.map((c) => header.columns.get(c)!) as [number, number, number];
    const last = Math.max(ti, pi, oi);
    const cells: string[] = [];
    // One pass with indexOf and no per-line arrays: a 100k-line trace parses in tens of milliseconds.
    let pos = header.bodyStart;
    let line = 1;
    while (pos < text.length) {
      line++;
      let end = text.indexOf('\n', pos);
      if (end < 0) end = text.length;
      const lineEnd = end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      if (lineEnd > pos) {
        cells.length = 0;
        let a = pos;
        for (let c = 0; c <= last; c++) {
          let b = text.indexOf(',', a);
          if (b < 0 || b > lineEnd) b = lineEnd;
          cells.push(text.slice(a, b));
          a = b + 1;
          if (b === lineEnd) break;
        }
        if (cells.length > 1 || cells[0]!.trim() !== '') {
          let t: number;
          if (format === 'azure') t = parseAzureTimestamp(cells[ti], file, line);
          else {
            t = Number(cells[ti]);
            if (cells[ti] === undefined || cells[ti]!.trim() === '' || !Number.isFinite(t) || t < 0) throw new UserError(`column "arrived_at" must be a non-negative number of seconds, got "${cells[ti] ?? ''}"`, file, `line ${line}`);
          }
          out.push({ arrivalS: t, promptTokens: positiveInt(cells[pi], file, line, cols[1]!), outputTokens: positiveInt(cells[oi], file, line, cols[2]!) });
        }
      }
      pos = end + 1;
    }
  }
  if (out.length === 0) throw new UserError('trace has no requests', file);
  const t0 = out[0]!.arrivalS;
  let prev = -Infinity;
  for (let i = 0; i < out.length; i++) {
    const row = out[i]!;
    row.arrivalS -= t0;
    if (row.arrivalS < prev) throw new UserError(`arrival times must not decrease (request ${i + 1} arrives before the one before it)`, file, `request ${i + 1}`);
    prev = row.arrivalS;
  }
  return out;
}

/** Reads one numeric column (CSV) or key (JSONL) as a list of lengths, for empirical distributions. */
export function readLengthColumn(file: string, column: string): number[] {
  const text = readText(file);
  const out: number[] = [];
  if (file.endsWith('.jsonl')) {
    text.split(/\r?\n/).forEach((l, i) => {
      if (l.trim() === '') return;
      const v = (JSON.parse(l) as Record<string, unknown>)[column];
      if (typeof v !== 'number') throw new UserError(`key "${column}" must be a number`, file, `line ${i + 1}`);
      out.push(v);
    });
    return out;
  }
  const { columns, bodyStart } = csvHeader(text, file, [column]);
  const ci = columns.get(column)!;
  text.slice(bodyStart).split('\n').forEach((l, r) => {
    const cells = l.replace(/\r$/, '').split(',');
    if (l.trim() !== '') out.push(positiveInt(cells[ci], file, r + 2, column));
  });
  return out;
}
