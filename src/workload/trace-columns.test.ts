import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { userError } from '../errors-testing.js';
import { traceColumns, vidurColumns } from './trace-columns.js';
import { traceRows } from './traces.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pdsim-trace-columns-'));
function write(name: string, text: string | Buffer): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}
const VH = 'request_id,arrived_at,num_prefill_tokens,num_decode_tokens\n';

/** The generic reader's rows, flattened as (arrival, prompt, output) triples. */
function generic(f: string, limit: number, startS: number): number[] {
  const out: number[] = [];
  for (const r of traceRows(f, 'vidur')) {
    if (out.length >= 3 * limit) break;
    if (r.arrivalS >= startS) out.push(r.arrivalS, r.promptTokens, r.outputTokens);
  }
  return out;
}
function columns(f: string, limit: number, startS: number): number[] {
  const c = traceColumns(f, 'vidur', limit, startS);
  const out: number[] = [];
  for (let i = 0; i < c.count; i++) out.push(c.arrivalS[i]!, c.promptTokens[i]!, c.outputTokens[i]!);
  return out;
}
/** Rows that differ (Object.is: -0 and NaN count), and both lengths. */
function diff(a: number[], b: number[]): [number, number, number] {
  let bad = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (!Object.is(a[i], b[i])) bad++;
  return [bad, a.length, b.length];
}

describe('traceColumns (one-pass CSV trace reading)', () => {
  it('gives the generic reader rows, bit for bit, across 1 MiB chunks, gzip, CRLF, blank lines, limits and offsets', () => {
    // Arrival texts of every length: shortest round trip (up to 17 digits), 17 significant digits,
    // few decimals, integers, a leading or trailing point (the scanner's exact fast path and its fallback).
    const arrival = (i: number): string => {
      const x = 0.5 + i * 0.013 + Math.sin(i) * 1e-3;
      return [String(x), x.toPrecision(17), x.toFixed(i % 7), String(Math.floor(x)), `${Math.floor(x)}.`, (x % 1).toFixed(9).slice(1)][i % 6]!;
    };
    let last = 0;
    const rows = Array.from({ length: 45_000 }, (_, i) => {
      // Keep arrivals non-decreasing whatever the format rounds to.
      const a = Math.max(last, Number(arrival(i)));
      const text = Number(arrival(i)) === a ? arrival(i) : String(a);
      last = a;
      return `${i},${text},${1 + (i % 4093)},${1 + ((i * 7) % 911)}`;
    });
    const text = `${VH}${rows.join('\n')}\n`;
    const files = [write('big.csv', text), write('big.csv.gz', gzipSync(text)), write('crlf.csv', `${VH.replace('\n', '\r\n')}${rows.slice(0, 500).join('\r\n')}\r\n\r\n`), write('noeol.csv', `${VH}\n${rows.slice(0, 50).join('\n')}`)];
    for (const f of files) {
      for (const [limit, startS] of [[1e9, 0], [1, 0], [20_000, 100.25]] as const) {
        const g = generic(f, limit, startS);
        expect(diff(columns(f, limit, startS), g)).toEqual([0, g.length, g.length]);
      }
    }
    expect(text.length).toBeGreaterThan(1024 * 1024);
    // These plain files take the scanner, not the fallback.
    for (const f of files) expect(vidurColumns(f, 10, 0)).not.toBeNull();
    expect(columns(files[0]!, 1e9, 0).length).toBe(3 * 45_000);
  }, 60_000);

  it('reads what only the generic reader accepts (quotes, blanks around cells, other column orders) the same way', () => {
    const cases: [string, boolean][] = [
      [`${VH}"a",0.5,10,2\n1,1.5,20,3\n`, false],
      [`${VH}0, 0.5 , 10 ,2\n1,1.5,20,3\n`, false],
      [`${VH}0,-0,10,2\n`, false],
      // Plain, so scanned: another column order, bare points, an exponent and a mantissa past 2^53 (read by Number(), as the reader does).
      ['num_decode_tokens,arrived_at,num_prefill_tokens\n2,.5,10\n2,5.,10\n3,1e1,20\n4,12345678901234567890.5,9\n', true],
    ];
    for (const [t, scanned] of cases) {
      const f = write('odd.csv', t);
      expect(diff(columns(f, 1e9, 0), generic(f, 1e9, 0))[0]).toBe(0);
      expect(vidurColumns(f, 1e9, 0) !== null).toBe(scanned);
      expect(columns(f, 1e9, 0).length).toBeGreaterThan(0);
    }
  });

  it('reports bad cells exactly as the generic reader does (file and line)', () => {
    for (const [t, re] of [
      [`${VH}0,0.5,10,2\n1,0.4,20,3\n`, /line 3: arrival time goes back/],
      [`${VH}0,0.5,0,2\n`, /line 2: column "num_prefill_tokens" must be a positive integer/],
      [`${VH}0,0.5,10\n`, /line 2: expected 4 cells/],
      [`${VH}0,x,10,2\n`, /line 2: column "arrived_at" must be a non-negative number/],
      ['id,arrived_at\n0,1\n', /missing column "num_prefill_tokens"/],
    ] as const) {
      const f = write('bad.csv', t);
      expect(userError(() => traceColumns(f, 'vidur', 1e9, 0)).message).toMatch(re);
    }
  });
});
