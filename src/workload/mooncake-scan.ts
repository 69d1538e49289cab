/**
 * A Mooncake JSONL line read without JSON.parse: the plain shape every line of the published traces
 * has, `{"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47]}` (these
 * four keys in any order, hash_ids optional, JSON blanks anywhere between tokens). Two passes over a
 * trace parsed every line whole, objects and all (~7 % of a Mooncake run's profile).
 *
 * Anything else gives null and the caller parses the line with JSON.parse, which also words every
 * error: another key, a repeated key, an escape in a key, a number with a sign (but hash ids), an
 * exponent or a leading zero, a length that is not a positive integer of 1-15 digits, a timestamp
 * that is not a plain decimal. The values are JSON.parse's: integers of up to 15 digits are exact,
 * and a plain decimal goes through `plainDecimal` (trace-columns.ts), which rounds as Number() and
 * JSON.parse do.
 */
import { plainDecimal } from './trace-columns.js';

/** One scanned line's values (reused from line to line by the caller). */
export interface MooncakeLine {
  /** The `timestamp` key as written (milliseconds). */
  timestampMs: number;
  promptTokens: number;
  outputTokens: number;
  /** `hash_ids`, undefined when absent; left undefined when the caller does not want them (`hashes` false). */
  hashIds: number[] | undefined;
  /** Whether the line had a `hash_ids` key (true even when `hashIds` was not collected). */
  hasHashIds: boolean;
}

const KEYS = ['timestamp', 'input_length', 'output_length', 'hash_ids'] as const;

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/**
 * Scans text[a, b) as one Mooncake record into `out`; false where JSON.parse must decide (see the
 * module comment). `hashes`: collect the hash ids into a new array (else they are only checked).
 */
export function scanMooncakeLine(text: string, a: number, b: number, out: MooncakeLine, hashes: boolean): boolean {
  let i = a;
  while (i < b && isBlank(text.charCodeAt(i))) i++;
  if (i >= b || text.charCodeAt(i) !== 123) return false; // {
  i++;
  let seen = 0; // bit k: KEYS[k] met
  out.hashIds = undefined;
  out.hasHashIds = false;
  for (;;) {
    while (i < b && isBlank(text.charCodeAt(i))) i++;
    if (i >= b || text.charCodeAt(i) !== 34) return false; // a key's opening quote ('}' right after '{' or ',' too)
    const close = text.indexOf('"', i + 1);
    if (close < 0 || close >= b) return false;
    let k = -1;
    for (let j = 0; j < KEYS.length; j++) {
      const key = KEYS[j]!;
      if (close - i - 1 === key.length && text.startsWith(key, i + 1)) k = j;
    }
    if (k < 0 || (seen & (1 << k)) !== 0) return false;
    seen |= 1 << k;
    i = close + 1;
    while (i < b && isBlank(text.charCodeAt(i))) i++;
    if (i >= b || text.charCodeAt(i) !== 58) return false; // :
    i++;
    while (i < b && isBlank(text.charCodeAt(i))) i++;
    if (k === 3) {
      i = scanIds(text, i, b, out, hashes);
      if (i < 0) return false;
    } else {
      const e = numberEnd(text, i, b);
      if (e === i) return false;
      if (k === 0) {
        const t = plainDecimal(text, i, e);
        if (t < 0) return false;
        out.timestampMs = t;
      } else {
        const v = positiveInt(text, i, e);
        if (v < 0) return false;
        if (k === 1) out.promptTokens = v;
        else out.outputTokens = v;
      }
      i = e;
    }
    while (i < b && isBlank(text.charCodeAt(i))) i++;
    if (i >= b) return false;
    const c = text.charCodeAt(i++);
    if (c === 125) break; // }
    if (c !== 44) return false; // ,
  }
  while (i < b && isBlank(text.charCodeAt(i))) i++;
  // The three required keys; anything after the closing brace is JSON.parse's to reject.
  return i === b && (seen & 7) === 7;
}

/** End of the run of characters a JSON number may contain, from i. */
function numberEnd(text: string, i: number, b: number): number {
  while (i < b) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 46 || c === 45 || c === 43 || c === 101 || c === 69) i++;
    else break;
  }
  return i;
}

/** A positive integer of 1-15 digits without a leading zero in text[a, e), else -1. */
function positiveInt(text: string, a: number, e: number): number {
  if (e - a > 15 || text.charCodeAt(a) === 48) return -1;
  let v = 0;
  for (let i = a; i < e; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** A hash id: 0, or an optionally negative integer of 1-15 digits without a leading zero, else NaN. */
function hashId(text: string, a: number, e: number): number {
  const neg = text.charCodeAt(a) === 45;
  const s = neg ? a + 1 : a;
  if (s >= e) return NaN;
  if (text.charCodeAt(s) === 48) return e - s === 1 && !neg ? 0 : NaN; // "-0" is -0 to JSON.parse: left to it
  const v = positiveInt(text, s, e);
  return v < 0 ? NaN : neg ? -v : v;
}

/** `[id, ...]` from i (at '['); the index after ']', or -1. */
function scanIds(text: string, i: number, b: number, out: MooncakeLine, hashes: boolean): number {
  if (text.charCodeAt(i) !== 91) return -1; // [
  i++;
  const ids: number[] | undefined = hashes ? [] : undefined;
  while (i < b && isBlank(text.charCodeAt(i))) i++;
  if (i < b && text.charCodeAt(i) === 93) {
    out.hashIds = ids;
    out.hasHashIds = true;
    return i + 1;
  }
  for (;;) {
    const e = numberEnd(text, i, b);
    const v = hashId(text, i, e);
    if (v !== v) return -1;
    if (ids !== undefined) ids.push(v);
    i = e;
    while (i < b && isBlank(text.charCodeAt(i))) i++;
    if (i >= b) return -1;
    const c = text.charCodeAt(i++);
    if (c === 93) break; // ]
    if (c !== 44) return -1;
    while (i < b && isBlank(text.charCodeAt(i))) i++;
  }
  out.hashIds = ids;
  out.hasHashIds = true;
  return i;
}
