import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { JsonlRecordWriter, recordLine, secondsText } from './record-writer.js';
import type { RequestRecord } from '../serving/types.js';

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
    const rnd = seedrandom('writer');
    const recs: RequestRecord[] = [];
    const odd = [0, -0, 1e-7, 4.9999995e-7, 0.9999995, 1 - 1e-12, 123456.7890125, -3.25, 1e15 + 0.5, 2.5e20, 1e300, -1e-300, NaN, Infinity];
    for (let i = 0; i < 3000; i++) {
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
      if (i % 17 === 0) Object.assign(rec, { error: `failed ${i} "quoted"`, kvTransferMs: rnd(), prefillFirstTokenS: null });
      if (i === 9) rec.error = 'x'.repeat(100_000); // longer than a chunk
      recs.push(rec);
      w.write(rec);
    }
    w.close();
    expect(readFileSync(f, 'utf8')).toBe(recs.map(recordLine).join(''));
    expect(w.flushed).toBe(3000);
  });
});
