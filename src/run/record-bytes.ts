/**
 * requests.jsonl lines encoded straight into a byte buffer: the same bytes as recordLine()
 * (record-writer.ts, the reference the tests compare with), without building a string per record
 * or a string per number and then converting the lot to UTF-8 (that was most of the writer's time).
 * Digits are written by integer arithmetic, exact for integers below 2^53; anything else (a huge
 * or fractional count, an extra field) goes through the same String()/JSON.stringify text.
 */
import type { RequestRecord } from '../serving/types.js';

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
const K_ID = ascii('{"id":');
const K_ARRIVAL = ascii(',"arrivalS":');
const K_FIRST = ascii(',"firstTokenS":');
const K_FINISH = ascii(',"finishS":');
const K_PROMPT = ascii(',"promptTokens":');
const K_OUTPUT = ascii(',"outputTokens":');
const K_REPLICA = ascii(',"replica":');
const K_PREEMPT = ascii(',"preemptions":');
const K_CACHED = ascii(',"cachedPromptTokens":');
const NULL = ascii('null');
const BASE_KEYS = { id: 1, arrivalS: 1, firstTokenS: 1, finishS: 1, promptTokens: 1, outputTokens: 1, replica: 1, preemptions: 1, cachedPromptTokens: 1 };
/** The base keys in the order the record's line prints them (and collector.finish builds them). */
const BASE_ORDER = Object.keys(BASE_KEYS);
/** Integers written digit by digit (beyond, String() may switch to exponents). */
const MAX_PLAIN_INT = 1e15;
/** A typical line's bytes at most (buffer sizing; longer lines make the buffer grow). */
export const TYPICAL_LINE_BYTES = 512;
/**
 * The fixed part of a line at its longest: the keys, five integers below MAX_PLAIN_INT (16 digits)
 * and three seconds values ('-', 16 digits, '.', 6 digits, or 'null'), and the closing '}\n'.
 */
const FIXED_FIELDS_MAX_BYTES = 160 + 5 * 16 + 3 * 24 + 2;

/**
 * The record's keys beyond the base ones, in its key order, into `out` (a scratch array reused
 * from record to record); returns how many. for-in rather than Object.keys: no array per record
 * (records are plain object literals). A record built as collector.finish builds it starts with
 * the base keys in BASE_ORDER: those are told apart by an identity compare, and only the keys after
 * them are looked up.
 */
export function extraKeys(rec: RequestRecord, out: string[]): number {
  let n = 0;
  let i = 0;
  for (const k in rec) {
    if (i < BASE_ORDER.length && k === BASE_ORDER[i]) {
      i++;
      continue;
    }
    i = BASE_ORDER.length;
    if (!(k in BASE_KEYS)) out[n++] = k;
  }
  return n;
}
const scratchKeys: string[] = [];

/**
 * The text a record's line carries after its base fields: `,"key":value` for each other key, in
 * the record's key order ('' for most records).
 */
export function extraText(rec: RequestRecord): string {
  let extra = '';
  const n = extraKeys(rec, scratchKeys);
  for (let j = 0; j < n; j++) {
    const k = scratchKeys[j]!;
    extra += `,${JSON.stringify(k)}:${JSON.stringify(rec[k as keyof RequestRecord])}`;
  }
  return extra;
}

/** "00" to "99": the two ASCII digits of i at [2i, 2i + 1]. */
const PAIRS = Uint8Array.from({ length: 200 }, (_, j) => 48 + (j % 2 === 0 ? Math.floor(j / 20) : (j >> 1) % 10));

/** Decimal digits of a non-negative integer below MAX_PLAIN_INT (compares, no division). */
function decimalLength(n: number): number {
  if (n < 100000) return n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  let len = 6;
  for (let p = 1000000; p <= n; p *= 10) len++;
  return len;
}

export class RecordEncoder {
  buf: Buffer;
  pos = 0;
  private readonly replicas = new Map<string, Buffer>();

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Appends one record's line (growing the buffer if it must). */
  line(rec: RequestRecord): void {
    this.fields(rec.id, rec.arrivalS, rec.firstTokenS, rec.finishS, rec.promptTokens, rec.outputTokens, rec.replica, rec.preemptions, rec.cachedPromptTokens, extraText(rec));
  }

  /**
   * Appends the line of a record given field by field (a null time may come as NaN: both print
   * null), `extra` being extraText() of the record: what the record thread receives.
   */
  fields(id: number, arrivalS: number, firstTokenS: number | null, finishS: number | null, promptTokens: number, outputTokens: number, replicaName: string, preemptions: number, cachedPromptTokens: number, extra: string): void {
    const replica = this.replica(replicaName);
    // Room for every fixed field at its longest (an integer or seconds value that would not fit
    // goes through text(), which makes its own room), so the fields below check nothing.
    this.reserveBytes = FIXED_FIELDS_MAX_BYTES + replica.length;
    this.room(this.reserveBytes);
    this.bytes(K_ID);
    this.int(id);
    this.bytes(K_ARRIVAL);
    this.seconds(arrivalS);
    this.bytes(K_FIRST);
    this.seconds(firstTokenS);
    this.bytes(K_FINISH);
    this.seconds(finishS);
    this.bytes(K_PROMPT);
    this.int(promptTokens);
    this.bytes(K_OUTPUT);
    this.int(outputTokens);
    this.bytes(K_REPLICA);
    this.bytes(replica);
    this.bytes(K_PREEMPT);
    this.int(preemptions);
    this.bytes(K_CACHED);
    this.int(cachedPromptTokens);
    if (extra !== '') this.text(extra);
    this.room(2);
    this.buf[this.pos++] = 125; // }
    this.buf[this.pos++] = 10; // \n
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  /** No room check: line() made room for every key and the replica name. */
  private bytes(b: Buffer): void {
    const n = b.length;
    // Keys and replica names are a few bytes: a loop beats Buffer.copy's call overhead.
    const out = this.buf;
    const at = this.pos;
    for (let i = 0; i < n; i++) out[at + i] = b[i]!;
    this.pos = at + n;
  }

  /** Room line() keeps ahead of the fixed fields; text() keeps it too (its bytes come on top). */
  private reserveBytes = 0;

  private text(s: string): void {
    this.room(Buffer.byteLength(s) + this.reserveBytes);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  private replica(name: string): Buffer {
    let q = this.replicas.get(name);
    if (q === undefined) {
      q = Buffer.from(JSON.stringify(name));
      if (this.replicas.size < 4096) this.replicas.set(name, q);
    }
    return q;
  }

  /**
   * A non-negative integer's decimal digits (as String() prints it), below MAX_PLAIN_INT. No room
   * check: line() made room for the longest. Below 2^31 the divisions are done in int32 (exact),
   * two digits at a time from a table (half the divisions and stores of one digit at a time).
   */
  private digits(n: number): void {
    const len = decimalLength(n);
    const b = this.buf;
    let i = this.pos + len;
    this.pos = i;
    while (n >= 2147483648) {
      const q = Math.floor(n / 10);
      b[--i] = 48 + (n - q * 10);
      n = q;
    }
    let m = n | 0;
    while (m >= 100) {
      const q = (m / 100) | 0;
      const r = (m - q * 100) << 1;
      b[--i] = PAIRS[r + 1]!;
      b[--i] = PAIRS[r]!;
      m = q;
    }
    if (m >= 10) {
      b[--i] = PAIRS[(m << 1) + 1]!;
      b[--i] = PAIRS[m << 1]!;
    } else b[--i] = 48 + m;
  }

  /** A microsecond fraction (0 to 999,999) as six digits, leading zeros kept: three pairs. */
  private sixDigits(f: number): void {
    const b = this.buf;
    const at = this.pos;
    const hi = (f / 10000) | 0;
    const rest = f - hi * 10000;
    const mid = (rest / 100) | 0;
    const lo = rest - mid * 100;
    b[at] = PAIRS[hi << 1]!;
    b[at + 1] = PAIRS[(hi << 1) + 1]!;
    b[at + 2] = PAIRS[mid << 1]!;
    b[at + 3] = PAIRS[(mid << 1) + 1]!;
    b[at + 4] = PAIRS[lo << 1]!;
    b[at + 5] = PAIRS[(lo << 1) + 1]!;
    this.pos = at + 6;
  }

  private int(n: number): void {
    if (Number.isInteger(n) && n >= 0 && n < MAX_PLAIN_INT) this.digits(n);
    else this.text(String(n));
  }

  /** secondsText (record-writer.ts) by the same integer arithmetic. */
  private seconds(x: number | null): void {
    if (x === null || !Number.isFinite(x)) {
      this.bytes(NULL);
      return;
    }
    const us = Math.round(Math.abs(x) * 1e6);
    const whole = Math.floor(us / 1e6);
    const frac = us - whole * 1e6;
    // Past 2^53 microseconds (~285 years) the split is no longer exact: the text, as secondsText has it.
    if (us > Number.MAX_SAFE_INTEGER) {
      this.text(`${x < 0 && us > 0 ? '-' : ''}${whole}${frac === 0 ? '' : `.${String(frac).padStart(6, '0')}`}`);
      return;
    }
    if (x < 0 && us > 0) this.buf[this.pos++] = 45; // -
    this.digits(whole);
    if (frac !== 0) {
      this.buf[this.pos++] = 46; // .
      this.sixDigits(frac);
    }
  }
}
