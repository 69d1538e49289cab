// The loader of the CLI script: runs it as a strict CommonJS script with its own file URL, takes a
// matching V8 code cache, and falls back to a plain compile (same result) on a missing or stale one.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheModeFrom, runScript, wrapScript, writeCache } from './script-runner.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pdsim-script-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Seen { url?: string; file?: string; strict?: boolean; sum?: number; required?: string }
const seen = (): Seen => (globalThis as unknown as { __pdsimScriptTest: Seen }).__pdsimScriptTest;

/** A script that reports its wrapper's values and computes something, with a code cache from `cacheSource`. */
function scriptWithCache(name: string, cacheSource?: string): { file: string; cache: string } {
  // The name in a comment: V8 also caches compiled scripts in memory by source, so each test's is its own.
  const source = `// ${name}
const s = globalThis.__pdsimScriptTest = {};
s.url = __pdsimUrl; s.file = __filename;
s.strict = (function () { return this === undefined; })();
s.sum = [1, 2, 3, 4].reduce((a, b) => a + b, 0);
s.required = require('node:path').basename(__filename);`;
  const file = path.join(dir, `${name}.cjs`);
  const cache = `${file}.cache`;
  writeFileSync(file, source);
  if (cacheSource !== undefined) writeFileSync(cache, new vm.Script(wrapScript(cacheSource), { filename: file }).createCachedData());
  return { file, cache };
}

describe('runScript', () => {
  it('runs the script strict, with its own file, URL and require', () => {
    const { file, cache } = scriptWithCache('plain');
    expect(runScript(file, cache, 'use')).toBe('missing');
    expect(seen()).toEqual({ url: pathToFileURL(file).href, file, strict: true, sum: 10, required: 'plain.cjs' });
  });

  it("takes a cache made from the same wrapped source, rejects another one's, and runs the same either way", () => {
    const same = scriptWithCache('same');
    // Made from the file's own text: what the build's warm-up saves.
    writeFileSync(same.cache, new vm.Script(wrapScript(readFileSync(same.file, 'utf8')), { filename: same.file }).createCachedData());
    // In this process V8 may also find the script in its in-memory compilation cache; a fresh
    // process taking the build's cache, and rejecting a damaged one, is checked in bundle.test.ts.
    expect(runScript(same.file, same.cache, 'use')).toBe('used');
    expect(seen().sum).toBe(10);
    const stale = scriptWithCache('stale', 'globalThis.x = 1;');
    expect(runScript(stale.file, stale.cache, 'use')).toBe('rejected');
    expect(seen().sum).toBe(10);
    expect(runScript(same.file, same.cache, 'off')).toBe('off');
    expect(seen().sum).toBe(10);
  });

  it('reads the mode from PDSIM_CODE_CACHE, anything else meaning use', () => {
    expect(['write', 'off', 'check', undefined, '', 'on'].map(cacheModeFrom)).toEqual(['write', 'off', 'check', 'use', 'use', 'use']);
  });
});

describe('writeCache', () => {
  it('runs each warm-up command line in turn, waiting for its `done`, then saves a cache runScript takes', async () => {
    const file = path.join(dir, 'warm.cjs');
    writeFileSync(file, `const runs = globalThis.__pdsimWarmRuns ??= [];
runs.push(process.argv.slice(2).join(' '));
exports.done = new Promise((resolve) => setTimeout(resolve, 5)).then(() => { runs.push('done'); if (process.argv[2] === 'fail') process.exitCode = 3; });`);
    const cache = `${file}.cache`;
    const argv = process.argv;
    try {
      await writeCache(file, cache, [['simulate', 'a.yaml'], ['--help']]);
      expect((globalThis as unknown as { __pdsimWarmRuns: string[] }).__pdsimWarmRuns).toEqual(['simulate a.yaml', 'done', '--help', 'done']);
      await expect(writeCache(file, `${file}.bad`, [['fail']])).rejects.toThrow('warm-up `pdsim fail` exited 3');
    } finally {
      process.argv = argv;
      process.exitCode = undefined;
    }
    expect(runScript(file, cache, 'use')).toBe('used');
  });
});

