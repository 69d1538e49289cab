import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { digestCase, fixtureFile, goldenCases, type GoldenDigest } from './golden.js';

const fixture = JSON.parse(readFileSync(fixtureFile, 'utf8')) as Record<string, GoldenDigest>;

describe('golden outputs (regenerate with `npm run golden` when a change is meant to move them)', () => {
  it('the fixture covers exactly the golden cases', () => {
    expect(Object.keys(fixture).sort()).toEqual(goldenCases.map((c) => c.name).sort());
  });
  for (const c of goldenCases) {
    it(`${c.name}: summary.json and requests.jsonl are byte-identical`, async () => {
      const d = await digestCase(c);
      expect(d.requests).toBeGreaterThan(0);
      expect(d).toEqual(fixture[c.name]);
    }, 60_000);
  }
});
