/** `npm run golden`: regenerates src/run/golden.fixture.json (commit it with the change that moved it). */
import { writeFileSync } from 'node:fs';
import { digestCase, fixtureFile, goldenCases, type GoldenDigest } from './golden.js';

const out: Record<string, GoldenDigest> = {};
for (const c of goldenCases) {
  out[c.name] = await digestCase(c);
  process.stdout.write(`${c.name}: ${out[c.name]!.requests} requests\n`);
}
writeFileSync(fixtureFile, JSON.stringify(out, null, 2) + '\n');
process.stdout.write(`wrote ${fixtureFile}\n`);
