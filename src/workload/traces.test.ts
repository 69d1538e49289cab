import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { userError } from '../errors-testing.js';
import { readLengthColumn, readTrace, traceRows } from './traces.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pdsim-traces-'));
function write(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}
const AZ = 'TIMESTAMP,ContextTokens,GeneratedTokens\n';

describe('CSV traces (csv-parse where quoted)', () => {
  it('reads quoted cells, escaped quotes and CRLF as RFC 4180 says', () => {
    const f = write('q.csv', 'request_id,arrived_at,num_prefill_tokens,num_decode_tokens\r\n"a,1",0.5,"100",10\r\n"b ""x""",1.5,200,"20"\r\n');
    expect(readTrace(f, 'vidur').map((r) => [r.arrivalS, r.promptTokens, r.outputTokens, r.line])).toEqual([[0, 100, 10, 2], [1, 200, 20, 3]]);
  });

  it('gives the line of a record after a quoted cell spanning lines', () => {
    const f = write('ml.csv', 'request_id,arrived_at,num_prefill_tokens,num_decode_tokens\n"multi\nline",0.5,100,10\n2,1.5,0,20\n');
    expect(userError(() => readTrace(f, 'vidur')).message).toMatch(/ml\.csv: line 4: column "num_prefill_tokens" must be a positive integer/);
  });

  it('rejects an unterminated quote with its line', () => {
    const f = write('uq.csv', `${AZ}2023-11-16 18:15:46.0,1,2\n"2023-11-16 18:15:47.0,1,2\n`);
    expect(userError(() => readTrace(f, 'azure')).message).toMatch(/uq\.csv: line 3: not valid CSV/);
  });

  it('rejects zero, fractional and exponent lengths instead of rounding them', () => {
    for (const bad of ['0', '12.5', '1e3', '-4', '']) {
      const f = write('l.csv', `${AZ}2023-11-16 18:15:46.0,${bad},2\n`);
      expect(userError(() => readTrace(f, 'azure')).message).toMatch(/line 2: column "ContextTokens" must be a positive integer/);
    }
  });

  it('honours a timezone suffix and treats a bare time as UTC', () => {
    const f = write('tz.csv', `${AZ}2023-11-16 18:00:00.5,1,1\n2023-11-16 19:00:01.5+01:00,1,1\n2023-11-16T18:00:03Z,1,1\n2023-11-16 17:00:04-0100,1,1\n`);
    expect(readTrace(f, 'azure').map((r) => r.arrivalS)).toEqual([0, 1, 2.5, 3.5]);
  });

  it('rejects an impossible date and decreasing arrivals, naming the line', () => {
    expect(userError(() => readTrace(write('d.csv', `${AZ}2023-02-31 18:00:00,1,1\n`), 'azure')).message).toMatch(/line 2: column "TIMESTAMP"/);
    const e = userError(() => readTrace(write('dec.csv', `${AZ}2023-11-16 18:00:05,1,1\n2023-11-16 18:00:01,1,1\n`), 'azure'));
    expect(e.message).toMatch(/dec\.csv: line 3: arrival time goes back 4\.000 s from the request on line 2/);
  });

  it('streams: a trace larger than the 1 MiB read chunk gives every row, in order', () => {
    const rows = Array.from({ length: 60_000 }, (_, i) => `${i},${(i * 0.01).toFixed(2)},${1 + (i % 97)},${1 + (i % 13)}`);
    const f = write('big.csv', `request_id,arrived_at,num_prefill_tokens,num_decode_tokens\n${rows.join('\n')}\n`);
    let n = 0;
    let sum = 0;
    let linesOk = 0;
    for (const r of traceRows(f, 'vidur')) {
      if (r.line === n + 2) linesOk++;
      sum += r.promptTokens;
      n++;
    }
    expect(n).toBe(60_000);
    expect(linesOk).toBe(60_000);
    expect(sum).toBe(rows.reduce((s, _, i) => s + 1 + (i % 97), 0));
  });

  it('refuses a line longer than 1 MiB and a device file', () => {
    expect(userError(() => readTrace(write('long.csv', `${AZ}${'9'.repeat(1_200_000)}`), 'azure')).message).toMatch(/longer than 1 MiB/);
    expect(userError(() => readTrace('/dev/zero', 'azure')).message).toMatch(/not a regular file/);
    expect(userError(() => readTrace(dir, 'azure')).message).toMatch(/is a directory/);
  });
});

describe('Mooncake JSONL and empirical lengths', () => {
  it('rejects non-JSON, non-object and non-integer lines with their line', () => {
    const ok = '{"timestamp": 0, "input_length": 10, "output_length": 2}\n';
    expect(userError(() => readTrace(write('a.jsonl', `${ok}oops\n`), 'mooncake')).message).toMatch(/a\.jsonl: line 2: not valid JSON/);
    expect(userError(() => readTrace(write('b.jsonl', `${ok}[1]\n`), 'mooncake')).message).toMatch(/line 2: expected a JSON object/);
    expect(userError(() => readTrace(write('c.jsonl', `${ok}{"timestamp": 1, "input_length": 2.5, "output_length": 2}\n`), 'mooncake')).message).toMatch(/line 2: key "input_length" must be a positive integer/);
  });

  it('empirical JSONL: a non-JSON line is a UserError with its line, not a crash', () => {
    expect(userError(() => readLengthColumn(write('e.jsonl', '{"n": 4}\n{n: 4}\n'), 'n')).message).toMatch(/e\.jsonl: line 2: not valid JSON/);
    expect(readLengthColumn(write('f.jsonl', '{"n": 4}\n\n{"n": 7}\n'), 'n')).toEqual([4, 7]);
    expect(readLengthColumn(write('g.csv', 'x,n\n"a,b",4\nc,7\n'), 'n')).toEqual([4, 7]);
  });
});
