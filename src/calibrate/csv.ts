/**
 * A small CSV reader for measured operator tables. Every cell keeps its line and column so a bad
 * value is reported as `file: line L, column C (name)`, which is what a user needs to fix a
 * hand-edited or truncated profile.
 */
import { UserError } from '../errors.js';
import { calibrateMessages } from '../messages/calibrate.js';

export interface CsvTable {
  file: string;
  header: string[];
  rows: CsvRow[];
}

export interface CsvRow {
  /** 1-based line number in the file. */
  line: number;
  cells: string[];
}

/** Splits one line on commas, honouring double quotes ("a,b" and "" escapes). */
function splitLine(text: string, file: string, line: number): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw new UserError(calibrateMessages.unterminatedQuotedField(), file, `line ${line}, column ${out.length + 1}`);
  out.push(cur);
  return out;
}

export function parseCsv(text: string, file: string): CsvTable {
  const lines = text.split(/\r?\n/);
  let headerLine = 0;
  while (headerLine < lines.length && lines[headerLine]!.trim() === '') headerLine++;
  if (headerLine >= lines.length) throw new UserError(calibrateMessages.emptyCsvFile(), file);
  const header = splitLine(lines[headerLine]!, file, headerLine + 1).map((h) => h.trim());
  const rows: CsvRow[] = [];
  for (let i = headerLine + 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const cells = splitLine(raw, file, i + 1);
    if (cells.length !== header.length) {
      throw new UserError(calibrateMessages.fieldCountNotHeader(header.length, cells.length), file, `line ${i + 1}, column ${Math.min(cells.length, header.length) + 1}`);
    }
    rows.push({ line: i + 1, cells });
  }
  return { file, header, rows };
}

/** Column access by name with typed, located errors. */
export class Columns {
  private readonly index = new Map<string, number>();

  constructor(readonly table: CsvTable) {
    table.header.forEach((h, i) => this.index.set(h, i));
  }

  has(name: string): boolean {
    return this.index.has(name);
  }

  /** Fails naming the file and the missing columns, for a file of another format. */
  require(names: readonly string[], format: string): void {
    const missing = names.filter((n) => !this.index.has(n));
    if (missing.length > 0) {
      throw new UserError(calibrateMessages.missingColumnsForFormat(format, missing.join(', ')), this.table.file, 'line 1');
    }
  }

  private col(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new UserError(calibrateMessages.missingColumn(name), this.table.file, 'line 1');
    return i;
  }

  private where(row: CsvRow, name: string): string {
    return `line ${row.line}, column ${this.col(name) + 1} (${name})`;
  }

  str(row: CsvRow, name: string): string {
    return row.cells[this.col(name)]!.trim();
  }

  /** A finite number; `positive` also rejects zero and negatives. */
  num(row: CsvRow, name: string, opts: { positive?: boolean; integer?: boolean; nonNegative?: boolean } = {}): number {
    const s = this.str(row, name);
    const v = s === '' ? NaN : Number(s);
    if (!Number.isFinite(v)) throw new UserError(calibrateMessages.notANumber(JSON.stringify(s)), this.table.file, this.where(row, name));
    if (opts.positive && !(v > 0)) throw new UserError(calibrateMessages.notAPositiveNumber(s), this.table.file, this.where(row, name));
    if (opts.nonNegative && !(v >= 0)) throw new UserError(calibrateMessages.notANonNegativeNumber(s), this.table.file, this.where(row, name));
    if (opts.integer && !Number.isInteger(v)) throw new UserError(calibrateMessages.notAnInteger(s), this.table.file, this.where(row, name));
    return v;
  }

  /** An optional number: undefined for an empty cell. */
  optNum(row: CsvRow, name: string, opts: { positive?: boolean; integer?: boolean; nonNegative?: boolean } = {}): number | undefined {
    if (!this.has(name) || this.str(row, name) === '') return undefined;
    return this.num(row, name, opts);
  }

  bool(row: CsvRow, name: string): boolean {
    const s = this.str(row, name).toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
    throw new UserError(calibrateMessages.notABoolean(JSON.stringify(s)), this.table.file, this.where(row, name));
  }
}
