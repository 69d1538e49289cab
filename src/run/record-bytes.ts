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
/** Integers written digit by digit (beyond, String() may switch to exponents). */
const MAX_PLAIN_INT = 1e15;
/** A typical line's bytes at most (buffer sizing; longer lines make the buffer grow). */
export const TYPICAL_LINE_BYTES = 512;

export class RecordEncoder {
  buf: Buffer;
  pos = 0;
  private readonly replicas = new Map<string, Buffer>();

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Appends one record's line (growing the buffer if it must). */
  line(rec: RequestRecord): void {
    this.bytes(K_ID);
    this.int(rec.id);
    this.bytes(K_ARRIVAL);
    this.seconds(rec.arrivalS);
    this.bytes(K_FIRST);
    this.seconds(rec.firstTokenS);
    this.bytes(K_FINISH);
    this.seconds(rec.finishS);
    this.bytes(K_PROMPT);
    this.int(rec.promptTokens);
    this.bytes(K_OUTPUT);
    this.int(rec.outputTokens);
    this.bytes(K_REPLICA);
    this.bytes(this.replica(rec.replica));
    this.bytes(K_PREEMPT);
    this.int(rec.preemptions);
    this.bytes(K_CACHED);
    this.int(rec.cachedPromptTokens);
    let extra = '';
    // for-in rather than Object.keys: no array per record (records are plain object literals).
    for (const k in rec) {
      if (!(k in BASE_KEYS)) extra += `,${JSON.stringify(k)}:${JSON.stringify(rec[k as keyof RequestRecord])}`;
    }
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

  private bytes(b: Buffer): void {
    const n = b.length;
    this.room(n);
    // Keys and replica names are a few bytes: a loop beats Buffer.copy's call overhead.
    const out = this.buf;
    const at = this.pos;
    for (let i = 0; i < n; i++) out[at + i] = b[i]!;
    this.pos = at + n;
  }

  private text(s: string): void {
    this.room(Buffer.byteLength(s));
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

  /** A non-negative integer's decimal digits (as String() prints it). */
  private digits(n: number, minWidth: number): void {
    let len = 1;
    for (let p = 10; p <= n; p *= 10) len++;
    if (len < minWidth) len = minWidth;
    this.room(len);
    const b = this.buf;
    let i = this.pos + len;
    this.pos = i;
    do {
      const q = Math.floor(n / 10);
      b[--i] = 48 + (n - q * 10);
      n = q;
      len--;
    } while (len > 0);
  }

  private int(n: number): void {
    if (Number.isInteger(n) && n >= 0 && n < MAX_PLAIN_INT) this.digits(n, 1);
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
    if (whole >= MAX_PLAIN_INT) {
      this.text(`${x < 0 && us > 0 ? '-' : ''}${whole}${frac === 0 ? '' : `.${String(frac).padStart(6, '0')}`}`);
      return;
    }
    if (x < 0 && us > 0) {
      this.room(1);
      this.buf[this.pos++] = 45; // -
    }
    this.digits(whole, 1);
    if (frac !== 0) {
      this.room(1);
      this.buf[this.pos++] = 46; // .
      this.digits(frac, 6);
    }
  }
}
