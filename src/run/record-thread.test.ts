import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../serving/types.js';
import { openRecordSink, recordWorkerUrl, THREAD_MIN_RECORDS, ThreadedRecordWriter } from './record-thread.js';
import { JsonlRecordWriter, recordLine } from './record-writer.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pdsim-record-thread-'));

/** Records with every kind of value the encoder treats apart (as record-writer.test.ts). */
function records(count: number): { rec: RequestRecord; baseOnly: boolean }[] {
  const rnd = seedrandom('thread');
  const odd = [0, -0, 1e-7, 4.9999995e-7, 0.9999995, 123456.7890125, -3.25, 1e15 + 0.5, 2.5e20, 1e300, NaN, Infinity];
  return Array.from({ length: count }, (_, i) => {
    const t = i < odd.length ? odd[i]! : rnd() * 10 ** Math.floor(rnd() * 9);
    const rec: RequestRecord = {
      id: i === 5 ? 2 ** 60 : i,
      arrivalS: t,
      firstTokenS: i % 7 === 0 ? null : t + rnd(),
      finishS: i % 11 === 0 ? null : t + 10 * rnd(),
      promptTokens: i === 6 ? 1.5 : Math.floor(rnd() * 1e6),
      outputTokens: Math.floor(rnd() * 5000),
      replica: i % 3 === 0 ? `p${i % 4}->d${i % 5}` : i === 8 ? 'é"\\x' : 'colocated0',
      preemptions: i % 13,
      cachedPromptTokens: Math.floor(rnd() * 100) * 16,
    };
    const extra = i % 17 === 0 || i === 9;
    if (i % 17 === 0) Object.assign(rec, { error: `failed ${i} "quoted"`, kvTransferMs: rnd(), prefillFirstTokenS: null });
    if (i === 9) rec.error = 'x'.repeat(100_000); // longer than a chunk
    // Some plain records come without the hint (the writer then looks for extras itself).
    return { rec, baseOnly: !extra && i % 5 !== 0 };
  });
}

describe('ThreadedRecordWriter (requests.jsonl on a second thread)', () => {
  const url = recordWorkerUrl();
  it('finds its thread module from sources', () => {
    expect(url).not.toBeNull();
  });

  it('writes exactly the synchronous writer\'s bytes, in order, across many small batches, and all of them by close()', async () => {
    const recs = records(6000);
    const f = path.join(dir, 'threaded.jsonl');
    // 16 records a batch: 375 batches, past the in-flight bound, so the run also waits for the thread.
    const w = new ThreadedRecordWriter(f, url!, 16);
    for (const { rec, baseOnly } of recs) w.write(rec, baseOnly);
    await w.close();
    expect(w.error).toBeUndefined();
    expect(w.written).toBe(6000);
    expect(w.flushed).toBe(6000);
    const expected = recs.map((r) => recordLine(r.rec)).join('');
    expect(readFileSync(f, 'utf8')).toBe(expected);
    const sync = path.join(dir, 'sync.jsonl');
    const s = new JsonlRecordWriter(sync);
    for (const { rec, baseOnly } of recs) s.write(rec, baseOnly);
    s.close();
    expect(readFileSync(sync, 'utf8')).toBe(expected);
  }, 60_000);

  it.skipIf(!existsSync('/dev/full'))('a full disk comes back as the synchronous writer words it, with the count of whole lines', async () => {
    const w = new ThreadedRecordWriter('/dev/full', url!, 64);
    for (const { rec } of records(3000)) w.write(rec);
    await w.close();
    expect(w.error?.message).toMatch(/^\/dev\/full: writing stopped: the disk is full \(ENOSPC\); the file holds 0 complete records, whole lines only$/);
    expect(w.flushed).toBe(0);
    expect(w.written).toBe(3000);
  }, 60_000);

  it('is used only for runs long enough to repay the thread', async () => {
    const small = openRecordSink(path.join(dir, 'small.jsonl'), THREAD_MIN_RECORDS - 1);
    const large = openRecordSink(path.join(dir, 'large.jsonl'), THREAD_MIN_RECORDS);
    expect(small).toBeInstanceOf(JsonlRecordWriter);
    expect(large).toBeInstanceOf(ThreadedRecordWriter);
    await small.close();
    await large.close();
    expect(readFileSync(path.join(dir, 'large.jsonl'), 'utf8')).toBe('');
  }, 60_000);
});
