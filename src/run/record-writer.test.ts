import { describe, expect, it } from 'vitest';
import { recordLine } from './record-writer.js';
import type { RequestRecord } from '../serving/types.js';

describe('recordLine', () => {
  it('is exactly JSON.stringify of the record, extra and null fields included', () => {
    const recs: RequestRecord[] = [
      { id: 1, arrivalS: 0.1 + 0.2, firstTokenS: 1.5e-7, finishS: 3, promptTokens: 10, outputTokens: 2, replica: 'p0->d"1', preemptions: 0, cachedPromptTokens: 0 },
      { id: 2, arrivalS: 1, firstTokenS: null, finishS: null, promptTokens: 5, outputTokens: 0, replica: 'r0', preemptions: 1, cachedPromptTokens: 16, error: 'too long', kvTransferMs: 1.25 },
    ];
    for (const r of recs) expect(recordLine(r)).toBe(JSON.stringify(r) + '\n');
  });
});
