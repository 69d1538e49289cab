import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../kernel/random.js';
import { scanMooncakeLine, type MooncakeLine } from './mooncake-scan.js';

const KEYS = ['timestamp', 'input_length', 'output_length', 'hash_ids'];

/**
 * What JSON.parse makes of the line, where the scanner must agree: the four keys' values of an
 * object with those keys only, the three numbers present; else null (the scanner must then refuse).
 */
function reference(text: string): { ts: unknown; p: unknown; o: unknown; ids: unknown } | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const rec = v as Record<string, unknown>;
  if (Object.keys(rec).some((k) => !KEYS.includes(k))) return null;
  return { ts: rec.timestamp, p: rec.input_length, o: rec.output_length, ids: rec.hash_ids };
}

const fresh = (): MooncakeLine => ({ timestampMs: -1, promptTokens: -1, outputTokens: -1, hashIds: undefined, hasHashIds: false });

/** Scanner accepted `text`: JSON.parse reads the same values, bit for bit (Object.is: -0 and 0 differ). */
function expectAgrees(text: string): void {
  const out = fresh();
  const ok = scanMooncakeLine(text, 0, text.length, out, true);
  if (!ok) return;
  const ref = reference(text);
  expect(ref, text).not.toBeNull();
  expect(Object.is(out.timestampMs, ref!.ts), text).toBe(true);
  expect(Object.is(out.promptTokens, ref!.p), text).toBe(true);
  expect(Object.is(out.outputTokens, ref!.o), text).toBe(true);
  expect(out.hasHashIds).toBe(ref!.ids !== undefined);
  if (ref!.ids === undefined) expect(out.hashIds).toBeUndefined();
  else {
    expect(Array.isArray(ref!.ids)).toBe(true);
    const ids = ref!.ids as unknown[];
    expect(out.hashIds!.length).toBe(ids.length);
    for (let i = 0; i < ids.length; i++) expect(Object.is(out.hashIds![i], ids[i]), text).toBe(true);
  }
  // Lengths and ids it accepts are what the generic reader accepts (positive / safe integers).
  expect(Number.isSafeInteger(out.promptTokens) && out.promptTokens >= 1).toBe(true);
  expect(Number.isSafeInteger(out.outputTokens) && out.outputTokens >= 1).toBe(true);
  expect(Number.isFinite(out.timestampMs) && out.timestampMs >= 0).toBe(true);
}

describe('scanMooncakeLine', () => {
  it('reads every line of the bundled conversation trace as JSON.parse does', () => {
    const text = gunzipSync(readFileSync(new URL('../../scenarios/traces/mooncake-conversation.jsonl.gz', import.meta.url))).toString('utf8');
    const rows = text.split('\n').filter((l) => l !== '');
    expect(rows.length).toBe(12_031);
    let scanned = 0;
    for (const l of rows) {
      const out = fresh();
      if (scanMooncakeLine(l, 0, l.length, out, true)) scanned++;
      expectAgrees(l);
    }
    // The fast path is the path: every line of the real trace takes it.
    expect(scanned).toBe(rows.length);
  });

  it('reads hand-written plain lines, in any key order and with JSON blanks', () => {
    const cases: [string, number, number, number, number[] | undefined][] = [
      ['{"timestamp": 0, "input_length": 10, "output_length": 2}', 0, 10, 2, undefined],
      ['{"hash_ids":[],"output_length":3,"input_length":7,"timestamp":12.5}', 12.5, 7, 3, []],
      ['  {\t"timestamp" :0.125 , "input_length":1,"output_length":999999999999999,"hash_ids":[ 0 , -3,7 ]}\r', 0.125, 1, 999999999999999, [0, -3, 7]],
    ];
    for (const [line, ts, p, o, ids] of cases) {
      const out = fresh();
      expect(scanMooncakeLine(line, 0, line.length, out, true), line).toBe(true);
      expect([out.timestampMs, out.promptTokens, out.outputTokens, out.hashIds]).toEqual([ts, p, o, ids]);
      expectAgrees(line);
    }
  });

  it('scans a range of a longer text, and checks but does not collect ids when told not to', () => {
    const line = '{"timestamp": 5, "input_length": 4, "output_length": 3, "hash_ids": [1, 2]}';
    const text = `xx${line}yy`;
    const out = fresh();
    expect(scanMooncakeLine(text, 2, 2 + line.length, out, false)).toBe(true);
    expect([out.timestampMs, out.promptTokens, out.outputTokens, out.hashIds, out.hasHashIds]).toEqual([5, 4, 3, undefined, true]);
    expect(scanMooncakeLine(text, 2, 2 + line.length, out, true)).toBe(true);
    expect(out.hashIds).toEqual([1, 2]);
    expect(scanMooncakeLine('{"timestamp": 5, "input_length": 4, "output_length": 3, "hash_ids": [1, x]}', 0, 77, out, false)).toBe(false);
  });

  it('leaves to JSON.parse what is not the plain shape, and every bad value', () => {
    const refused = [
      '', '   ', '[1]', 'null', '{}', 'oops',
      '{"timestamp": 0, "input_length": 10}', // a required key missing
      '{"timestamp": 0, "input_length": 10, "output_length": 2, "chat_id": 1}', // another key
      '{"timestamp": 0, "timestamp": 1, "input_length": 10, "output_length": 2}', // repeated
      '{"time\\u0073tamp": 0, "input_length": 10, "output_length": 2}', // escape in a key
      '{"timestamp": 1e3, "input_length": 10, "output_length": 2}',
      '{"timestamp": -1, "input_length": 10, "output_length": 2}',
      '{"timestamp": 01, "input_length": 10, "output_length": 2}',
      '{"timestamp": 1., "input_length": 10, "output_length": 2}',
      '{"timestamp": .5, "input_length": 10, "output_length": 2}',
      '{"timestamp": "0", "input_length": 10, "output_length": 2}',
      '{"timestamp": 0, "input_length": 0, "output_length": 2}',
      '{"timestamp": 0, "input_length": 2.5, "output_length": 2}',
      '{"timestamp": 0, "input_length": 1234567890123456, "output_length": 2}', // 16 digits
      '{"timestamp": 0, "input_length": 10, "output_length": 2, "hash_ids": [1,]}',
      '{"timestamp": 0, "input_length": 10, "output_length": 2, "hash_ids": [-0]}',
      '{"timestamp": 0, "input_length": 10, "output_length": 2, "hash_ids": [1.5]}',
      '{"timestamp": 0, "input_length": 10, "output_length": 2, "hash_ids": null}',
      '{"timestamp": 0, "input_length": 10, "output_length": 2,}',
      '{"timestamp": 0, "input_length": 10, "output_length": 2} x',
      '{"timestamp": 0, "input_length": 10, "output_length": 2',
    ];
    for (const line of refused) expect(scanMooncakeLine(line, 0, line.length, fresh(), true), line).toBe(false);
  });

  it('never accepts a line JSON.parse reads otherwise (random mutations of plain lines)', () => {
    const rng = new RandomStreams(11).stream('mutate');
    const alphabet = '{}[]":,. -+eE0123456789\t\\xa_';
    const base = [
      '{"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47, 2353]}',
      '{"hash_ids": [0, -12], "timestamp": 0.5, "output_length": 1, "input_length": 90}',
      '{"timestamp": 3, "input_length": 10, "output_length": 2}',
    ];
    let accepted = 0;
    for (let k = 0; k < 6000; k++) {
      let s = base[k % base.length]!;
      const edits = 1 + rng.intBetween(0, 2);
      for (let e = 0; e < edits; e++) {
        const at = rng.intBetween(0, s.length);
        const ch = alphabet[rng.intBetween(0, alphabet.length - 1)]!;
        const kind = rng.intBetween(0, 2);
        s = kind === 0 ? s.slice(0, at) + ch + s.slice(at) : kind === 1 ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at) + ch + s.slice(at + 1);
      }
      if (scanMooncakeLine(s, 0, s.length, fresh(), true)) accepted++;
      expectAgrees(s);
    }
    // Some mutants stay plain (a digit for a digit, a blank added): the agreement is tested on them.
    expect(accepted).toBeGreaterThan(200);
  });
});
