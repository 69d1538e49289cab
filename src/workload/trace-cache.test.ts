import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TRACE_CACHES } from '../build/cache-files.js';
import { writeTraceCache } from '../build/trace-cache-write.js';
import { packageRoot } from '../package-files.js';
import { cachedMooncake, parseMooncakeColumns, rowHashes } from './mooncake-columns.js';
import { keptRange, lookUpTrace, readTraceCache, runTraceCacheDir, traceCacheFile, type CachedTrace } from './trace-cache.js';
import { cachedColumns, parseTraceColumns, type TraceColumns } from './trace-columns.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pdsim-trace-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const traces = path.join(packageRoot(), 'scenarios', 'traces');

/** Same count and, row by row, the same doubles (Object.is: -0 and NaN count). */
function expectSameColumns(a: TraceColumns, b: TraceColumns): void {
  expect(a.count).toBe(b.count);
  for (const k of ['arrivalS', 'promptTokens', 'outputTokens'] as const) {
    let bad = -1;
    for (let i = 0; i < a.count && bad < 0; i++) if (!Object.is(a[k][i], b[k][i])) bad = i;
    expect(bad, `${k} differs at row ${bad}`).toBe(-1);
  }
}

function cached(trace: string, format: (typeof TRACE_CACHES)[number]['format']): CachedTrace {
  const r = readTraceCache(dir, trace, format);
  expect(r.outcome).toBe('used');
  return r.trace!;
}

describe('trace cache: the parser\'s exact doubles for every shipped trace', () => {
  it('lists every trace shipped under scenarios/traces', () => {
    const shipped = readFileSync(path.join(traces, 'MANIFEST.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]);
    expect(TRACE_CACHES.map((t) => t.trace).sort()).toEqual(shipped.sort());
  });

  for (const { trace, format } of TRACE_CACHES) {
    it(`${trace} (${format}): cached rows equal the parsed ones for any count and start offset`, () => {
      const file = path.join(traces, trace);
      writeTraceCache(dir, file, format);
      const t = cached(file, format);
      const whole = format === 'mooncake' ? parseMooncakeColumns(file, Infinity, 0) : parseTraceColumns(file, format, Infinity, 0);
      expect(t.count).toBe(whole.count);
      const mid = whole.arrivalS[whole.count >> 1]!;
      // Start offsets before, at and between rows' arrivals, past the last; counts below, at and past the trace.
      const cases: [number, number][] = [[Infinity, 0], [100, 0], [5000, 0], [1000, mid], [1000, mid + 1e-9], [Infinity, mid], [10, whole.arrivalS[whole.count - 1]! + 1], [0, 0]];
      for (const [limit, startS] of cases) {
        if (format === 'mooncake') {
          const parsed = parseMooncakeColumns(file, limit, startS);
          const c = cachedMooncake(t, limit, startS);
          expectSameColumns(c, parsed);
          for (let i = 0; i < c.count; i++) {
            expect(c.hasHashes[i]).toBe(parsed.hasHashes[i]);
            expect(rowHashes(c, i)).toEqual(rowHashes(parsed, i));
          }
        } else {
          expectSameColumns(cachedColumns(t, limit, startS), parseTraceColumns(file, format, limit, startS));
        }
      }
    }, 60_000);
  }
});

describe('trace cache: used only for the bytes it was built from', () => {
  const csv = 'request_id,arrived_at,num_prefill_tokens,num_decode_tokens\n0,0.5,10,3\n1,1.25,20,4\n2,2.0,30,5\n';
  const own = (name: string): string => {
    const d = mkdtempSync(path.join(dir, 'own-'));
    const file = path.join(d, name);
    writeFileSync(file, csv);
    writeTraceCache(d, file, 'vidur');
    return file;
  };

  it('a trace edited in place (same size) or resized is stale, and so is a trace read as another format', () => {
    const file = own('t.csv');
    const d = path.dirname(file);
    expect(readTraceCache(d, file, 'vidur').outcome).toBe('used');
    writeFileSync(file, csv.replace('20,4', '21,4'));
    expect(readTraceCache(d, file, 'vidur').outcome).toBe('stale');
    expect(lookUpTrace(file, 'vidur', true, d)).toBeNull();
    writeFileSync(file, csv + '3,2.5,40,6\n');
    expect(readTraceCache(d, file, 'vidur').outcome).toBe('stale');
    writeFileSync(file, csv);
    expect(readTraceCache(d, file, 'vidur').outcome).toBe('used');
    expect(readTraceCache(d, file, 'azure').outcome).toBe('missing');
    // A copy elsewhere with the same name and bytes is the same trace.
    const copy = path.join(mkdtempSync(path.join(dir, 'copy-')), 't.csv');
    copyFileSync(file, copy);
    expect(readTraceCache(d, copy, 'vidur').outcome).toBe('used');
  });

  it('a damaged cache file is ignored, never thrown', () => {
    const file = own('t.csv');
    const d = path.dirname(file);
    const cacheFile = traceCacheFile(d, file, 'vidur');
    const whole = readFileSync(cacheFile);
    const header = whole.readUInt32LE(8);
    const claimsMore = Buffer.from(whole);
    claimsMore.write('"count":4', whole.indexOf('"count":3'), 'latin1');
    for (const bad of [whole.subarray(0, whole.length - 8), Buffer.concat([whole, Buffer.alloc(8)]), Buffer.alloc(64, 7), Buffer.alloc(0), claimsMore, Buffer.concat([whole.subarray(0, 12), Buffer.alloc(header, 0x7b), whole.subarray(12 + header)])]) {
      writeFileSync(cacheFile, bad);
      expect(readTraceCache(d, file, 'vidur').outcome).toBe('corrupt');
      expect(lookUpTrace(file, 'vidur', true, d)).toBeNull();
    }
  });

  it('decodes the hand-written rows: arrivals from the first row, lengths as written', () => {
    const file = own('t.csv');
    const t = readTraceCache(path.dirname(file), file, 'vidur').trace!;
    expect([...t.arrivalS]).toEqual([0, 0.75, 1.5]);
    expect([...t.promptTokens]).toEqual([10, 20, 30]);
    expect([...t.outputTokens]).toEqual([3, 4, 5]);
    // The first 2 rows at or after 0.75 s are rows 1 and 2; none start at or after 2 s.
    expect(keptRange(t, 2, 0.75)).toEqual({ first: 1, n: 2 });
    expect(keptRange(t, 5, 2)).toEqual({ first: 3, n: 0 });
  });
});

describe('trace cache: PDSIM_TRACE_CACHE', () => {
  const saved = process.env.PDSIM_TRACE_CACHE;
  afterEach(() => {
    if (saved === undefined) delete process.env.PDSIM_TRACE_CACHE;
    else process.env.PDSIM_TRACE_CACHE = saved;
  });

  it('off: no cache folder, so every lookup parses', () => {
    process.env.PDSIM_TRACE_CACHE = 'off';
    expect(runTraceCacheDir()).toBeUndefined();
    const file = path.join(traces, 'vidur-parity-100k.csv.gz');
    writeTraceCache(dir, file, 'vidur');
    expect(lookUpTrace(file, 'vidur', true, runTraceCacheDir())).toBeNull();
    delete process.env.PDSIM_TRACE_CACHE;
    // From the sources the folder beside this module does not exist: tsx runs always parse.
    expect(runTraceCacheDir()).toBe(path.join(path.dirname(new URL(import.meta.url).pathname), 'trace-cache'));
    expect(lookUpTrace(file, 'vidur', true, dir)).not.toBeNull();
  });
});
