import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { userError } from '../errors-testing.js';
import { genericColumns, mooncakeColumns, rowHashes, scanMooncake, type MooncakeColumns } from './mooncake-columns.js';
import { traceRows } from './traces.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pdsim-mooncake-columns-'));
function write(name: string, text: string | Buffer): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

/** The streamed selection the run used before (first `limit` rows at or after startS), flattened. */
function streamed(f: string, limit: number, startS: number): unknown[] {
  const out: unknown[] = [];
  let n = 0;
  for (const r of traceRows(f, 'mooncake')) {
    if (n >= limit) break;
    if (r.arrivalS < startS) continue;
    n++;
    out.push([r.arrivalS, r.promptTokens, r.outputTokens, r.prefixHashes]);
  }
  return out;
}
function columns(f: string, limit: number, startS: number, read: (f: string, limit: number, startS: number) => MooncakeColumns | null = mooncakeColumns): unknown[] {
  const c = read(f, limit, startS)!;
  return Array.from({ length: c.count }, (_, i) => [c.arrivalS[i], c.promptTokens[i], c.outputTokens[i], rowHashes(c, i)]);
}

describe('mooncakeColumns (one-pass Mooncake reading)', () => {
  // Rows with and without hash_ids (an empty list too), repeated arrivals, ids past 2^31 and negative.
  const rows = Array.from({ length: 3000 }, (_, i) => {
    const ids = i % 5 === 0 ? '' : `, "hash_ids": [${Array.from({ length: i % 7 }, (_, k) => (k % 3 === 0 ? -(i * 7 + k) : i * 2 ** 33 + k)).join(', ')}]`;
    return `{"timestamp": ${Math.floor(i / 3) * 250 + (i % 3) * 0.5}, "input_length": ${1 + ((i * 37) % 9000)}, "output_length": ${1 + (i % 400)}${ids}}`;
  });
  const text = `${rows.join('\n')}\n`;

  it('gives the streamed rows, value for value, across limits, offsets, gzip and blank lines', () => {
    const files = [write('m.jsonl', text), write('m.jsonl.gz', gzipSync(text)), write('b.jsonl', text.replace(/\n/g, '\n\n'))];
    for (const f of files) {
      for (const [limit, startS] of [[3000, 0], [10_000, 0], [1, 0], [100, 0], [500, 40.1], [2999, 0.5], [7, 249.75], [50, 1e9]] as const) {
        const want = streamed(f, limit, startS);
        const got = columns(f, limit, startS);
        expect(got.length, `${f} ${limit} ${startS}`).toBe(want.length);
        expect(got).toEqual(want);
        // The plain-line reading is what answered (these files have only plain lines).
        expect(scanMooncake(f, limit, startS), f).not.toBeNull();
        expect(columns(f, limit, startS, scanMooncake)).toEqual(want);
      }
    }
  });

  it('keeps undefined (no key) apart from an empty list, and the ids exact', () => {
    const f = write('e.jsonl', '{"timestamp": 0, "input_length": 5, "output_length": 1}\n{"timestamp": 1, "input_length": 5, "output_length": 1, "hash_ids": []}\n{"timestamp": 2, "input_length": 5, "output_length": 1, "hash_ids": [9007199254740991, -0, 3]}\n');
    const c = mooncakeColumns(f, 10, 0);
    expect(c.count).toBe(3);
    expect(rowHashes(c, 0)).toBeUndefined();
    expect(rowHashes(c, 1)).toEqual([]);
    const ids = rowHashes(c, 2)!;
    expect(ids[0]).toBe(9007199254740991);
    expect(Object.is(ids[1], -0)).toBe(true);
    expect(Array.from(c.arrivalS.subarray(0, 3))).toEqual([0, 0.001, 0.002]);
  });

  it('reports a bad row up to the one after the last kept, as the streamed reading did, and not beyond', () => {
    const ok = (t: number) => `{"timestamp": ${t}, "input_length": 5, "output_length": 1}`;
    const f = write('bad.jsonl', `${ok(0)}\n${ok(1)}\n{"timestamp": 2, "input_length": 0, "output_length": 1}\n${ok(3)}\n`);
    expect(userError(() => mooncakeColumns(f, 2, 0)).message).toMatch(/bad\.jsonl: line 3: key "input_length" must be a positive integer/);
    expect(() => streamed(f, 2, 0)).toThrow(/line 3/);
    expect(mooncakeColumns(f, 1, 0).count).toBe(1);
    expect(streamed(f, 1, 0).length).toBe(1);
  });

  /** Every typed array of two readings equal over what the run reads, value for value (-0 apart from 0). */
  function sameColumns(a: MooncakeColumns, b: MooncakeColumns): void {
    expect(a.count).toBe(b.count);
    const n = a.count;
    const part = (x: ArrayLike<number>, k: number) => Array.from({ length: k }, (_, i) => (Object.is(x[i], -0) ? '-0' : x[i]));
    for (const key of ['arrivalS', 'promptTokens', 'outputTokens', 'hasHashes'] as const) expect(part(a[key], n), key).toEqual(part(b[key], n));
    expect(part(a.hashStart, n + 1)).toEqual(part(b.hashStart, n + 1));
    expect(part(a.hashIds, a.hashStart[n]!)).toEqual(part(b.hashIds, b.hashStart[n]!));
  }

  it('reads the bundled Mooncake trace by the plain-line path, equal to the generic reading', () => {
    const f = fileURLToPath(new URL('../../scenarios/traces/mooncake-conversation.jsonl.gz', import.meta.url));
    for (const [limit, startS] of [[1e9, 0], [12_031, 0], [5000, 600], [1, 0]] as const) {
      const fast = scanMooncake(f, limit, startS);
      expect(fast).not.toBeNull();
      sameColumns(fast!, genericColumns(f, limit, startS));
    }
  });

  it('falls back to the generic reading on any other line: the same columns or the same error', () => {
    const ok = (t: number, extra = '') => `{"timestamp": ${t}, "input_length": ${10 + t}, "output_length": 3, "hash_ids": [${t}, ${t + 1}]${extra}}`;
    // Lines JSON.parse takes or refuses, each a case the plain path must not read differently.
    const odd = [
      '{"timestamp": 7, "input_length": 5, "output_length": 1, "hash_ids": [1, 2], "timestamp": 9}',
      '{"timestamp": 7, "input_length": 5, "output_length": 1, "extra": {"a": [1]}}',
      '  {"timestamp":7,"input_length":5,"output_length":1}\t',
      '{"timestamp": 7e0, "input_length": 5.0, "output_length": 1e0, "hash_ids": [-0, 1e2]}',
      '{"timestamp": 7, "input_length": 0, "output_length": 1}',
      '{"timestamp": -1, "input_length": 5, "output_length": 1}',
      '{"timestamp": "7", "input_length": 5, "output_length": 1}',
      '{"timestamp": 7, "input_length": 5, "output_length": 1, "hash_ids": [1.5]}',
      '{"timestamp": 7, "input_length": 5, "output_length": 1, "hash_ids": null}',
      '{"timestamp": 7, "input_length": 5, "output_length": 1, "hash_ids": [9007199254740992]}',
      '{"timestamp": 7, "input_length": 5}',
      '[1, 2]',
      'null',
      '{"timestamp": 7, "input_length": 5, "output_length": 1',
      '{"timestamp": 1, "input_length": 5, "output_length": 1}',
      '   ',
      '\r',
    ];
    const outcome = (read: () => MooncakeColumns): unknown => {
      try {
        return read();
      } catch (e) {
        return userError(() => {
          throw e;
        }).message;
      }
    };
    let fellBack = 0;
    let errors = 0;
    odd.forEach((line, k) => {
      for (const at of [0, 3, 6]) {
        const lines = Array.from({ length: 6 }, (_, i) => ok(2 * i + 2));
        lines.splice(at, 0, line);
        for (const eol of ['\n', '\r\n']) {
          const f = write(`odd-${k}-${at}-${eol.length}.jsonl`, lines.join(eol) + (at === 6 ? '' : eol));
          for (const [limit, startS] of [[100, 0], [3, 0], [2, 0.005]] as const) {
            const want = outcome(() => genericColumns(f, limit, startS));
            const got = outcome(() => mooncakeColumns(f, limit, startS));
            if (typeof want === 'string') {
              errors++;
              expect(got, `${line} at ${at}`).toBe(want);
            } else sameColumns(got as MooncakeColumns, want as MooncakeColumns);
            if (scanMooncake(f, limit, startS) === null) fellBack++;
          }
        }
      }
    });
    // Both kinds seen: errors (each one found by the generic reading after the plain path gave up)
    // and odd but valid lines (repeated or extra keys, blanks, exponents) read by the plain path.
    expect(errors).toBeGreaterThan(50);
    expect(fellBack).toBeGreaterThanOrEqual(errors);
    expect(odd.length * 3 * 2 * 3 - fellBack).toBeGreaterThan(50);
  });
});
