#!/usr/bin/env node
// Entry point of the `pdsim` command: runs the prebuilt bundle dist/pdsim.mjs (built by the
// `prepare` script on `npm ci` / `npm install`, and shipped in the npm package). In a development
// checkout where a source file is newer than the bundle, it runs the TypeScript sources through tsx
// instead (slower start, never stale); `npm run build` refreshes the bundle.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/pdsim.mjs', import.meta.url);
const sourceDirs = ['../src/', '../adapters/'].map((d) => fileURLToPath(new URL(d, import.meta.url)));

/**
 * Newest modification time of the .ts files under a folder (ending in '/'), node_modules skipped:
 * ~400 stats, a few ms. Plain path strings: a URL object per file made the scan ~2x slower.
 */
function newestMs(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') newest = Math.max(newest, newestMs(`${dir}${e.name}/`));
    } else if (e.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(dir + e.name).mtimeMs);
    }
  }
  return newest;
}

const built = existsSync(bundle) ? statSync(bundle).mtimeMs : -1;
const stale = built < 0 || sourceDirs.some((d) => existsSync(d) && newestMs(d) > built);
if (!stale) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
