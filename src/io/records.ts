/**
 * Streams the records of a user's text file without reading it whole: JSON lines, or CSV records
 * through csv-parse (quoting, escaped quotes, CRLF). Files are read in 1 MiB chunks, so memory is
 * O(chunk), not O(file); a record longer than 1 MiB (a file with no newlines, such as /dev/zero
 * behind a symlink that slipped past the checks) is an error, not an unbounded buffer.
 */
import { closeSync, fstatSync, readFileSync, readSync } from 'node:fs';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { StringDecoder } from 'node:string_decoder';
import { parse as parseCsv } from 'csv-parse/sync';
import { UserError } from '../errors.js';
import { openRegular } from './bounded-read.js';
import { ioMessages } from '../messages/io.js';

const CHUNK_BYTES = 1024 * 1024;
export const MAX_RECORD_BYTES = 1024 * 1024;

/** Compressed bytes inflated first on their own: ~150 KB of text, thousands of trace rows. */
export const GZIP_HEAD_BYTES = 64 * 1024;

/**
 * A gzip file's text in two chunks: the inflated first GZIP_HEAD_BYTES, then the rest. zlib has no
 * synchronous streaming API in Node (a sync call closes its handle), so the head is inflated as a
 * truncated input (`finishFlush: Z_SYNC_FLUSH`: what the bytes so far decode to, a prefix of the
 * whole output), and only a reader that wants more pays for the whole file, inflated once more
 * (the head again: ~1/20 of a shipped trace). A run of 100 trace rows inflated 3.2 MB before.
 * The CRC and a truncated end are checked only when the whole file is read, as a plain file's
 * unread tail is never looked at.
 */
function* gzipTextChunks(file: string, fd: number): Generator<string> {
  const dec = new StringDecoder('utf8');
  let first = true;
  const text = (bytes: Buffer): string => {
    let s = dec.write(bytes);
    if (first && s.length > 0) {
      first = false;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    return s;
  };
  const inflate = (bytes: Buffer, whole: boolean): Buffer => {
    try {
      return gunzipSync(bytes, whole ? { chunkSize: inflateChunkBytes(bytes.length) } : { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch (e) {
      throw new UserError(ioMessages.invalidGzip((e as Error).message), file);
    }
  };
  try {
    // The file is read once, the head first (a size that changed since the stat only costs copies).
    let bytes = Buffer.allocUnsafe(Math.max(fstatSync(fd).size, GZIP_HEAD_BYTES));
    let n = readInto(fd, bytes, 0, GZIP_HEAD_BYTES);
    let headOut = 0;
    if (n === GZIP_HEAD_BYTES) {
      const out = inflate(bytes.subarray(0, n), false);
      headOut = out.length;
      const s = text(out);
      if (s.length > 0) yield s;
    }
    for (;;) {
      if (n === bytes.length) {
        const bigger = Buffer.allocUnsafe(bytes.length * 2);
        bytes.copy(bigger, 0, 0, n);
        bytes = bigger;
      }
      const r = readInto(fd, bytes, n, bytes.length);
      if (r === n) break;
      n = r;
    }
    const all = inflate(bytes.subarray(0, n), true);
    const s = text(all.subarray(headOut)) + dec.end();
    if (s.length > 0) yield s;
  } finally {
    closeSync(fd);
  }
}

/**
 * zlib's output chunk for inflating `compressedBytes` whole: about the whole output in one (CSV
 * compresses ~2-4x), as zlib's default 16 KiB made ~200 chunks of the parity trace to collect and
 * join (its inflate 12 -> 9 ms CPU, 20 in a row each). Capped: a bigger output still joins chunks.
 */
export function inflateChunkBytes(compressedBytes: number): number {
  return Math.min(Math.max(compressedBytes * 4, 64 * 1024), 64 * 1024 * 1024);
}

/** Reads from the fd's position into buf[from, to) until full or end of file; the new end. */
function readInto(fd: number, buf: Buffer, from: number, to: number): number {
  let n = from;
  while (n < to) {
    const r = readSync(fd, buf, n, to - n, null);
    if (r === 0) break;
    n += r;
  }
  return n;
}

/**
 * Text chunks of a regular file, decoded as UTF-8 (a BOM at the start is dropped). `headFirst`: a
 * reader that likely needs only the start of a gzip file (a few thousand rows of a trace) gets its
 * head inflated first (gzipTextChunks); without it a gzip file is inflated whole, in one chunk.
 */
export function* textChunks(file: string, what: string, headFirst = false): Generator<string> {
  const fd = openRegular(file, what);
  if (file.endsWith('.gz') && headFirst) {
    yield* gzipTextChunks(file, fd);
    return;
  }
  if (file.endsWith('.gz')) {
    // zlib has no synchronous streaming API: a compressed trace (the bundled ones, a few MB) is
    // inflated whole, then cut into records as a plain one is. For a reader of the whole file this
    // is cheaper than gzipTextChunks (one string, no second chunk to join: 5-20 ms less on the
    // 100k-row parity trace, fresh processes).
    try {
      let text: string;
      try {
        const bytes = readFileSync(fd);
        text = gunzipSync(bytes, { chunkSize: inflateChunkBytes(bytes.length) }).toString('utf8');
      } catch (e) {
        throw new UserError(ioMessages.invalidGzip((e as Error).message), file);
      }
      yield text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      return;
    } finally {
      closeSync(fd);
    }
  }
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  const dec = new StringDecoder('utf8');
  let first = true;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      let s = dec.write(buf.subarray(0, n));
      if (first && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      first = false;
      yield s;
    }
    const rest = dec.end();
    if (rest) yield rest;
  } finally {
    closeSync(fd);
  }
}

const tooLong = (file: string, line: number) => new UserError(ioMessages.recordTooLong(MAX_RECORD_BYTES / 1024 / 1024), file, `line ${line}`);

/** Lines with their 1-based numbers, without the line break. */
export function* lines(file: string, what: string): Generator<{ text: string; line: number }> {
  let carry = '';
  let line = 0;
  for (const chunk of textChunks(file, what)) {
    let text = carry + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      line++;
      yield { text: text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl), line };
      start = nl + 1;
    }
    carry = text.slice(start);
    text = '';
    if (carry.length > MAX_RECORD_BYTES) throw tooLong(file, line + 1);
  }
  if (carry !== '') yield { text: carry.replace(/\r$/, ''), line: line + 1 };
}

export interface CsvRecord {
  cells: string[];
  /** Line the record starts on (1-based). */
  line: number;
}

/**
 * End of the last complete record in `text`: the last newline outside quotes. RFC 4180 escapes a
 * quote by doubling it, so parity of the quote count since the start tells inside from outside.
 */
function lastRecordEnd(text: string): number {
  let inQuotes = false;
  let end = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) inQuotes = !inQuotes;
    else if (c === 10 && !inQuotes) end = i;
  }
  return end;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Hand-written splitting where the text has no quote character at all (then CSV is plain comma
 * splitting, RFC 4180), because it is several times faster than the library (measured on a 100k-line trace);
 * anything quoted goes through csv-parse.
 */
function* plainRecords(text: string, firstLine: number): Generator<CsvRecord> {
  let line = firstLine;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const lineEnd = end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (lineEnd > pos) {
      const row = text.slice(pos, lineEnd);
      // A printable ASCII first character: not blank, no trim needed to tell.
      const c = row.charCodeAt(0);
      if ((c > 32 && c < 127) || row.trim() !== '') yield { cells: row.split(','), line };
    }
    line++;
    pos = end + 1;
  }
}

function* parsedRecords(text: string, firstLine: number, file: string): Generator<CsvRecord> {
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parseCsv(text, { info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as typeof rows;
  } catch (e) {
    const err = e as { lines?: number; message: string; code?: string };
    // Only the last, unfinished record can leave a quote open (complete parts end outside quotes).
    if (err.code === 'CSV_QUOTE_NOT_CLOSED') throw new UserError(ioMessages.unclosedCsvQuote(), file, `line ${firstLine}`);
    // csv-parse counts lines from the start of this part; the message's own "at line N" would mislead.
    throw new UserError(ioMessages.invalidCsv(err.message.replace(/,? (at|on) line \d+.*$/s, '')), file, `line ${firstLine - 1 + (err.lines ?? 1)}`);
  }
  for (const r of rows) yield { cells: r.record, line: firstLine - 1 + r.info.lines - r.record.reduce((n, c) => n + countLines(c), 0) };
}

/** CSV records (header included), streamed. */
export function* csvRecords(file: string, what: string): Generator<CsvRecord> {
  let carry = '';
  let nextLine = 1;
  const emit = function* (part: string): Generator<CsvRecord> {
    yield* part.includes('"') ? parsedRecords(part, nextLine, file) : plainRecords(part, nextLine);
    nextLine += countLines(part);
  };
  for (const chunk of textChunks(file, what)) {
    const text = carry + chunk;
    const end = lastRecordEnd(text);
    if (end < 0) {
      carry = text;
      if (carry.length > MAX_RECORD_BYTES) throw tooLong(file, nextLine);
      continue;
    }
    carry = text.slice(end + 1);
    yield* emit(text.slice(0, end + 1));
    if (carry.length > MAX_RECORD_BYTES) throw tooLong(file, nextLine);
  }
  if (carry.trim() !== '') yield* emit(carry);
}
