// The stand-ins defer the builtins until first use and forward to them: a bundle of commander and
// seedrandom built with the plugin loads neither child_process nor crypto until seedrandom autoseeds
// (which then works, through the real crypto.randomBytes).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../package-files.js';
import { lazyBuiltins, standInSource } from './lazy-builtins.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pdsim-lazy-builtins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lazy builtins', () => {
  it('stand-in: requires the module on the first call only, and passes arguments and results through', () => {
    const required: string[] = [];
    const fake = { randomBytes: (n: number) => `bytes:${n}` };
    const mod = { exports: {} as { randomBytes: (n: number) => string } };
    new Function('module', 'require', standInSource('crypto', ['randomBytes']))(mod, (id: string) => (required.push(id), fake));
    expect(required).toEqual([]);
    expect(mod.exports.randomBytes(3)).toBe('bytes:3');
    expect(mod.exports.randomBytes(5)).toBe('bytes:5');
    expect(required).toEqual(['node:crypto']);
  });

  it('a bundle of commander and seedrandom starts without child_process and crypto', async () => {
    const outfile = path.join(dir, 'b.cjs');
    await build({
      stdin: { contents: "require('commander'); const sr = require('seedrandom'); module.exports = sr;", resolveDir: packageRoot(), loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      logLevel: 'error',
      plugins: [lazyBuiltins()],
    });
    const probe = `const loaded = (m) => process.moduleLoadList.includes('NativeModule ' + m);
const sr = require(${JSON.stringify(outfile)});
const before = [loaded('child_process'), loaded('crypto')];
const auto = sr()();
console.log(JSON.stringify({ before, after: loaded('crypto'), auto: auto >= 0 && auto < 1, seeded: sr('x')() === sr('x')() }));`;
    // A script file, not \`node -e\` (which loads crypto itself).
    const script = path.join(dir, 'probe.cjs');
    writeFileSync(script, probe);
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ before: [false, false], after: true, auto: true, seeded: true });
  }, 30_000);
});
