import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlRecordWriter, recordLine, secondsText } from './record-writer.js';
import type { RequestRecord } from '../serving/types.js';
import { oddRecords } from './records-testing.js';

describe('recordLine', () => {
  it('is the JSON of the record with times rounded to the microsecond, extra and null fields included', () => {
    const recs: RequestRecord[] = [
      { id: 1, arrivalS: 0.1 + 0.2, firstTokenS: 1.5e-7, finishS: 3, promptTokens: 10, outputTokens: 2, replica: 'p0->d"1', preemptions: 0, cachedPromptTokens: 0 },
      { id: 2, arrivalS: 1, firstTokenS: null, finishS: null, promptTokens: 5, outputTokens: 0, replica: 'r0', preemptions: 1, cachedPromptTokens: 16, error: 'too long', kvTransferMs: 1.25 },
    ];
    const us = (x: number | null) => (x === null ? null : Math.round(x * 1e6) / 1e6);
    for (const r of recs) {
      const line = recordLine(r);
      expect(line.endsWith('}\n')).toBe(true);
      expect(JSON.parse(line)).toEqual({ ...r, arrivalS: us(r.arrivalS), firstTokenS: us(r.firstTokenS), finishS: us(r.finishS) });
    }
    expect(secondsText(0.1 + 0.2)).toBe('0.300000');
    expect(secondsText(3)).toBe('3');
    expect(secondsText(1.5e-7)).toBe('0');
    expect(secondsText(12345.0000004)).toBe('12345');
    expect(secondsText(-0.25)).toBe('-0.250000');
  });
});

describe('JsonlRecordWriter', () => {
  it('writes exactly recordLine bytes, across chunk flushes and for odd values', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pdsim-writer-'));
    const f = path.join(dir, 'r.jsonl');
    const w = new JsonlRecordWriter(f);
    const recs = oddRecords(3000, 'writer').map((r) => r.rec);
    for (const rec of recs) w.write(rec);
    w.close();
    expect(readFileSync(f, 'utf8')).toBe(recs.map(recordLine).join(''));
    expect(w.flushed).toBe(3000);
  });
});
