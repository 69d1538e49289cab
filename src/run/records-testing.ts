/**
 * Test-only: request records with every kind of value the requests.jsonl encoder treats apart
 * (signed zero, values that round across a microsecond, huge and non-finite numbers, nulls, a
 * 2^60 id, quotes and non-ASCII in strings, extra keys, numeric extras in changing key lists, a
 * line longer than a write chunk). Shared by
 * the synchronous writer's test and the record thread's, which must write the same bytes.
 */
import seedrandom from 'seedrandom';
import type { RequestRecord } from '../serving/types.js';

const ODD = [0, -0, 1e-7, 4.9999995e-7, 0.9999995, 1 - 1e-12, 123456.7890125, -3.25, 1e15 + 0.5, 2.5e20, 1e300, -1e-300, NaN, Infinity];

/** `count` records from `seed`; `hasExtra` says which carry keys beyond the base record. */
export function oddRecords(count: number, seed: string): { rec: RequestRecord; hasExtra: boolean }[] {
  const rnd = seedrandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const t = i < ODD.length ? ODD[i]! : rnd() * 10 ** Math.floor(rnd() * 9);
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
    // Numeric extras as a P/D run writes them, in runs of one key list and another (the record
    // thread sends these as numbers): odd values, a base key overridden in place, one list ending
    // early, one only overriding base keys (no extra text at all).
    let numeric = false;
    if (i % 4 === 1) {
      Object.assign(rec, { prefillFirstTokenS: t + rnd(), kvTransferMs: ODD[i % ODD.length]!, kvExposedMs: rnd() * 100 });
      numeric = true;
    } else if (i % 8 === 2) {
      Object.assign(rec, i % 24 === 2 ? { outputTokens: 5, kvTransferMs: -0 } : { kvTransferMs: rnd(), b: Infinity });
      numeric = true;
    } else if (i % 8 === 6 && i % 3 === 0) {
      Object.assign(rec, { kvTransferMs: NaN, prefillFirstTokenS: rnd(), kvExposedMs: 1e21 });
      numeric = true;
    } else if (i % 16 === 14) Object.assign(rec, { replica: 'overridden', preemptions: 2 });
    if (i % 17 === 0) Object.assign(rec, { error: `failed ${i} "quoted"`, kvTransferMs: rnd(), prefillFirstTokenS: null });
    if (i === 9) rec.error = 'x'.repeat(100_000); // longer than a chunk
    return { rec, hasExtra: numeric || i % 16 === 14 || i % 17 === 0 || i === 9 };
  });
}
