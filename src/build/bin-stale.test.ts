import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../package-files.js';

/** bin/pdsim.mjs in a tree of its own: a bundle and sources that each print which one ran. */
describe('bin/pdsim.mjs picks the bundle unless a source it was built from is newer', () => {
  it('in a checkout, a bundle without dist/sources.txt (an older or unfinished build) counts as stale: the sources run', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'pdsim-bin-'));
    for (const d of ['bin', 'dist', 'src/cli']) mkdirSync(path.join(root, d), { recursive: true });
    copyFileSync(path.join(packageRoot(), 'bin', 'pdsim.mjs'), path.join(root, 'bin', 'pdsim.mjs'));
    symlinkSync(path.join(packageRoot(), 'node_modules'), path.join(root, 'node_modules'));
    writeFileSync(path.join(root, 'dist', 'pdsim.mjs'), "process.stdout.write('bundle');\n");
    const main = path.join(root, 'src', 'cli', 'main.ts');
    writeFileSync(main, "process.stdout.write('sources');\n");
    const old = new Date(Date.now() - 3600_000);
    utimesSync(main, old, old);
    const run = () => spawnSync(process.execPath, [path.join(root, 'bin', 'pdsim.mjs')], { encoding: 'utf8' }).stdout;
    expect(run()).toBe('sources');
    writeFileSync(path.join(root, 'dist', 'sources.txt'), 'src/cli/main.ts\n');
    expect(run()).toBe('bundle');
  }, 60_000);

  it("with the build's dist/sources.txt, checks only the files listed there: newer or gone makes it stale", () => {
    const root = mkdtempSync(path.join(tmpdir(), 'pdsim-bin-'));
    for (const d of ['bin', 'dist', 'src/cli', 'src/deep']) mkdirSync(path.join(root, d), { recursive: true });
    copyFileSync(path.join(packageRoot(), 'bin', 'pdsim.mjs'), path.join(root, 'bin', 'pdsim.mjs'));
    symlinkSync(path.join(packageRoot(), 'node_modules'), path.join(root, 'node_modules'));
    writeFileSync(path.join(root, 'dist', 'pdsim.mjs'), "process.stdout.write('bundle');\n");
    const main = path.join(root, 'src', 'cli', 'main.ts');
    const listed = path.join(root, 'src', 'deep', 'used.ts');
    const unlisted = path.join(root, 'src', 'deep', 'used.test.ts');
    writeFileSync(main, "process.stdout.write('sources');\n");
    for (const f of [listed, unlisted]) writeFileSync(f, 'export {};\n');
    writeFileSync(path.join(root, 'dist', 'sources.txt'), 'src/cli/main.ts\nsrc/deep/used.ts\n');
    const old = new Date(Date.now() - 3600_000);
    for (const f of [main, listed, unlisted]) utimesSync(f, old, old);
    const run = () => spawnSync(process.execPath, [path.join(root, 'bin', 'pdsim.mjs')], { encoding: 'utf8' }).stdout;
    expect(run()).toBe('bundle');
    // A newer file the bundle was not built from (a test) does not count.
    utimesSync(unlisted, new Date(), new Date(Date.now() + 60_000));
    expect(run()).toBe('bundle');
    utimesSync(listed, new Date(), new Date(Date.now() + 60_000));
    expect(run()).toBe('sources');
    utimesSync(listed, old, old);
    expect(run()).toBe('bundle');
    rmSync(listed);
    expect(run()).toBe('sources');
    // An installed package: dist/ (sources.txt included) without src/ or adapters/ runs the bundle.
    rmSync(path.join(root, 'src'), { recursive: true });
    expect(run()).toBe('bundle');
  }, 60_000);
});
