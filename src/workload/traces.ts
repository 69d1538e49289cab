/**
 * Trace readers for the formats under ../shared/data: Azure LLM inference trace CSV, Mooncake JSONL
 * (with prefix `hash_ids`), and vidur's request CSV. Errors name the file and line. Arrival times
 * are returned in seconds from the trace's first request.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';

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
    return readFileSync(file, 'utf8');
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

function parseCsv(text: string, file: string, required: readonly string[]): { header: Map<string, number>; rows: string[][]; firstLine: number } {
  // Rows are split lazily by the caller's loop below (one pass, no per-line regex): traces reach
  // 100k+ lines and parsing them was a visible part of a benchmark run.
  const firstEnd = text.indexOf('\n');
  const headerLine = (firstEnd < 0 ? text : text.slice(0, firstEnd)).replace(/\r$/, '');
  const headerCells = headerLine.split(',').map((s) => s.trim());
  const header = new Map(headerCells.map((h, i) => [h, i]));
  for (const r of required) {
    if (!header.has(r)) throw new UserError(`missing column "${r}" in the header (found: ${headerCells.join(', ')})`, file, 'line 1');
  }
  const rows: string[][] = [];
  let pos = firstEnd < 0 ? text.length : firstEnd + 1;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    let line = text.slice(pos, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    rows.push(line.trim() === '' ? [] : line.split(','));
    pos = end + 1;
  }
  return { header, rows, firstLine: 2 };
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
    const { header, rows, firstLine } = parseCsv(text, file, cols);
    const [ti, pi, oi] = cols.map((c) => header.get(c)!) as [number, number, number];
    for (let r = 0; r < rows.length; r++) {
      const cells = rows[r]!;
      if (cells.length === 0) continue;
      const line = r + firstLine;
      let t: number;
      if (format === 'azure') t = parseAzureTimestamp(cells[ti], file, line);
      else {
        t = Number(cells[ti]);
        if (!Number.isFinite(t) || t < 0) throw new UserError(`column "arrived_at" must be a non-negative number of seconds, got "${cells[ti] ?? ''}"`, file, `line ${line}`);
      }
      out.push({ arrivalS: t, promptTokens: positiveInt(cells[pi], file, line, cols[1]!), outputTokens: positiveInt(cells[oi], file, line, cols[2]!) });
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
  const { header, rows } = parseCsv(text, file, [column]);
  const ci = header.get(column)!;
  rows.forEach((cells, r) => {
    if (cells.length > 0) out.push(positiveInt(cells[ci], file, r + 2, column));
  });
  return out;
}
