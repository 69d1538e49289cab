import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../serving/types.js';
import { openRecordSink, recordWorkerUrl, THREAD_MIN_RECORDS, ThreadedRecordWriter } from './record-thread.js';
import { JsonlRecordWriter, recordLine } from './record-writer.js';
import { oddRecords } from './records-testing.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pdsim-record-thread-'));

/** The shared odd records; some plain ones come without the hint (the writer then looks for extras itself). */
function records(count: number): { rec: RequestRecord; baseOnly: boolean }[] {
  return oddRecords(count, 'thread').map(({ rec, hasExtra }, i) => ({ rec, baseOnly: !hasExtra && i % 5 !== 0 }));
}

describe('ThreadedRecordWriter (requests.jsonl on a second thread)', () => {
  const url = recordWorkerUrl();
  it('finds its thread module from sources', () => {
    expect(url).not.toBeNull();
  });

  // 16 records a batch: 375 batches, past the in-flight bound, so the run also waits for the thread;
  // 4,096: batches whose numeric extras outgrow their first buffer.
  it.each([16, 4096])('writes exactly the synchronous writer\'s bytes, in order, in batches of %i records, and all of them by close()', async (batch) => {
    const recs = records(6000);
    const f = path.join(dir, `threaded-${batch}.jsonl`);
    const w = new ThreadedRecordWriter(f, url!, batch);
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
