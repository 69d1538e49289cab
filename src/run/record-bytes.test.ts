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

describe('RecordEncoder digits', () => {
  it('writes recordLine bytes for integers and seconds around every digit-count and pair boundary', () => {
    const ints: number[] = [0, 1, 2];
    for (let p = 10; p <= 1e15; p *= 10) ints.push(p - 1, p, p + 1);
    ints.push(2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32, 2 ** 53 - 1, 999_999_999_999_999);
    // Microsecond fractions whose pairs have zeros in every place, and values that round up to the next second.
    const fracs = [0, 1e-6, 1e-5, 1e-4, 0.001, 0.01, 0.1, 0.000101, 0.010203, 0.123456, 0.999999, 0.9999995, 0.99999949, 0.5];
    const recs: RequestRecord[] = [];
    for (const n of ints) {
      for (const f of fracs) {
        const s = n + f;
        recs.push({ id: n, arrivalS: s, firstTokenS: -s, finishS: n < 2 ** 40 ? s * 3 : s, promptTokens: n, outputTokens: n + 1, replica: 'colocated0', preemptions: n % 97, cachedPromptTokens: n });
      }
    }
    // A fixed linear congruential sequence of times and counts across the usual ranges.
    let x = 12345;
    const next = (): number => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 5000; i++) {
      const t = next() * 10 ** Math.floor(next() * 7);
      recs.push({ id: Math.floor(next() * 1e6), arrivalS: t, firstTokenS: next() < 0.1 ? null : t + next(), finishS: t + next() * 100, promptTokens: 1 + Math.floor(next() * 8192), outputTokens: Math.floor(next() * 4096), replica: `r${i % 3}`, preemptions: Math.floor(next() * 3), cachedPromptTokens: Math.floor(next() * 4096) });
    }
    const enc = new RecordEncoder(64);
    for (const r of recs) enc.line(r);
    expect(enc.buf.subarray(0, enc.pos).toString('utf8')).toBe(recs.map(recordLine).join(''));
  });
});
