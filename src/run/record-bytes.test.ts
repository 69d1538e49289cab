import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../serving/types.js';
import { RecordEncoder } from './record-bytes.js';
import { recordLine } from './record-writer.js';

/** Records whose fields take every path of the encoder: long, fractional, negative, null, extra keys. */
function oddRecords(): RequestRecord[] {
  const base: RequestRecord = { id: 0, arrivalS: 0, firstTokenS: null, finishS: 1.5, promptTokens: 3, outputTokens: 4, replica: 'colocated0', preemptions: 0, cachedPromptTokens: 0 };
  return [
    base,
    { ...base, id: 2 ** 60, arrivalS: 2.5e20, firstTokenS: -1e-300, finishS: 1e15 + 0.5, promptTokens: 1.5, outputTokens: -2, replica: 'é"\\x', preemptions: 2 ** 31, cachedPromptTokens: 999_999_999_999_999 },
    { ...base, id: 2147483647, arrivalS: 2147483648.25, finishS: 4294967296.000001, replica: 'p0->d1'.repeat(40) },
    // Every field in a long text form (a sign, an exponent, 17 significant digits): the text() path throughout.
    { id: -1.2345678901234567e-7, arrivalS: -123456789012345680000, firstTokenS: -923456789012345680000, finishS: -823456789012345680000, promptTokens: -2.2345678901234567e-7, outputTokens: -3.2345678901234567e-7, replica: 'r', preemptions: -4.2345678901234567e-7, cachedPromptTokens: -5.2345678901234567e-7 },
    { ...base, error: 'failed "quoted"', kvTransferMs: 0.125, prefillFirstTokenS: null },
    // Keys out of the usual order: every key is still printed once, base keys first.
    { replica: 'r', id: 7, cachedPromptTokens: 1, arrivalS: 0.5, firstTokenS: 1, finishS: 2, promptTokens: 10, outputTokens: 5, preemptions: 1, extraField: [1, 2] } as RequestRecord,
  ];
}

describe('RecordEncoder', () => {
  it('writes recordLine bytes from any starting capacity (the buffer grows before a field can overrun it)', () => {
    const recs = oddRecords();
    const want = recs.map(recordLine).join('');
    for (let capacity = 1; capacity <= 700; capacity += 3) {
      const enc = new RecordEncoder(capacity);
      for (const r of recs) enc.line(r);
      expect(enc.buf.subarray(0, enc.pos).toString('utf8')).toBe(want);
    }
  });
});
