// The data the package ships: every file listed in its folder's MANIFEST.csv with the right
// contents (sha256 of the uncompressed bytes, as recorded from the source), nothing unlisted, and
// gzip read transparently.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseCsv } from './calibrate/csv.js';
import { simulateScenario } from './notebook/explore.js';
import { packageDataDir, packageRoot, readTextFile, withGzFallback } from './package-files.js';

const DATA_FOLDERS = [packageDataDir(), path.join(packageRoot(), 'scenarios', 'traces')];
const NOT_DATA = new Set(['MANIFEST.csv', 'README.md']);

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(path.join(dir, name)).isDirectory()) return rel === 'licenses' ? [] : filesUnder(path.join(dir, name), rel);
    return NOT_DATA.has(rel) ? [] : [rel];
  });
}

describe('shipped data', () => {
  for (const dir of DATA_FOLDERS) {
    it(`${path.relative(packageRoot(), dir)}: MANIFEST.csv lists every file with its licence and sha256`, () => {
      const table = parseCsv(readTextFile(path.join(dir, 'MANIFEST.csv')), 'MANIFEST.csv');
      const col = (name: string) => table.header.indexOf(name);
      const listed = table.rows.map((r) => r.cells[col('file')]!);
      expect(listed.sort()).toEqual(filesUnder(dir).sort());
      for (const r of table.rows) {
        const file = r.cells[col('file')]!;
        expect(r.cells[col('license')], file).toMatch(/MIT|Apache-2\.0|CC-BY-4\.0/);
        expect(r.cells[col('source_repo')], file).toMatch(/^[\w.-]+\/[\w.-]+$/);
        const text = readTextFile(path.join(dir, file));
        expect(createHash('sha256').update(text).digest('hex'), file).toBe(r.cells[col('sha256')]);
        const lines = text.trimEnd().split('\n').length;
        expect(/\.jsonl(\.gz)?$/.test(file) ? lines : lines - 1, file).toBe(Number(r.cells[col('rows')])); // CSV: minus the header
      }
    });
  }

  it('the scenarios replaying shipped traces run from them (first 100 requests each)', async () => {
    for (const name of ['azure-conv-trace.yaml', 'mooncake-conversation.yaml', 'bench/vidur-parity.yaml']) {
      const r = await simulateScenario(path.join(packageRoot(), 'scenarios', name), ['workload.requests=100']);
      expect(r.summary.completed, name).toBe(100);
      expect(r.summary.total_input_tokens, name).toBeGreaterThan(100 * 100);
    }
  }, 60_000);

  it('reads .gz transparently and falls back to the compressed name', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pdsim-files-'));
    writeFileSync(path.join(dir, 't.csv.gz'), gzipSync('a,b\n1,2\n'));
    expect(withGzFallback(path.join(dir, 't.csv'))).toBe(path.join(dir, 't.csv.gz'));
    expect(readTextFile(withGzFallback(path.join(dir, 't.csv')))).toBe('a,b\n1,2\n');
    writeFileSync(path.join(dir, 't.csv'), 'plain\n');
    expect(readTextFile(withGzFallback(path.join(dir, 't.csv')))).toBe('plain\n');
    expect(withGzFallback(path.join(dir, 'none.csv'))).toBe(path.join(dir, 'none.csv'));
  });
});
