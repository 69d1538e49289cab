/**
 * `npm run corpus`: runs the whole bad-input corpus, each case as its own `pdsim` process (heap
 * capped at 256 MB, 30 s limit), and prints how many were rejected cleanly, per class, and the
 * cases that were not. `--json FILE` writes every result.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { allCases } from './corpus-cli.js';
import { runChildren } from './harness.js';

const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const filter = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--json');
const cases = (await allCases()).filter((c) => !filter || c.id.startsWith(filter));
const root = mkdtempSync(path.join(tmpdir(), 'pdsim-corpus-'));
const results = await runChildren(cases, root, 3);
rmSync(root, { recursive: true, force: true });
const byClass = new Map<string, { n: number; clean: number }>();
for (const r of results) {
  const k = r.id.split('/')[0]!;
  const e = byClass.get(k) ?? { n: 0, clean: 0 };
  e.n++;
  if (r.clean) e.clean++;
  byClass.set(k, e);
}
for (const r of results.filter((x) => !x.clean)) process.stdout.write(`NOT CLEAN ${r.id}: ${r.why} :: ${r.stderr.split('\n').slice(0, 2).join(' | ').slice(0, 300)}\n`);
for (const [k, e] of byClass) process.stdout.write(`${k}: ${e.clean} of ${e.n} rejected cleanly\n`);
const clean = results.filter((r) => r.clean).length;
process.stdout.write(`total: ${clean} of ${results.length} rejected cleanly; slowest ${Math.max(...results.map((r) => r.ms)).toFixed(0)} ms\n`);
if (jsonAt >= 0) writeFileSync(args[jsonAt + 1]!, JSON.stringify(results, null, 1));
