#!/usr/bin/env node
// Entry point of the `pdsim` command: runs the prebuilt bundle dist/pdsim.mjs (built by the
// `prepare` script on `npm ci` / `npm install`, and shipped in the npm package). In a development
// checkout where a source file is newer than the bundle, it runs the TypeScript sources through tsx
// instead (slower start, never stale); `npm run build` refreshes the bundle.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/pdsim.mjs', import.meta.url);
const sourceList = fileURLToPath(new URL('../dist/sources.txt', import.meta.url));
const root = fileURLToPath(new URL('../', import.meta.url));
const sourceDirs = ['../src/', '../adapters/'].map((d) => fileURLToPath(new URL(d, import.meta.url)));

/**
 * Whether a file the bundle was built from (dist/sources.txt, written by the build) is newer than
 * it or gone. Only in a checkout: an installed package ships dist/ without the sources. A bundle
 * without the list (a build older than the list, or one stopped before writing it) cannot say what
 * it was built from, so it counts as stale: the sources run until `npm run build`, rather than a
 * scan of every .ts file under src/ and adapters/ kept for that case alone.
 */
function sourcesNewer(built) {
  if (!sourceDirs.some((d) => existsSync(d))) return false;
  if (!existsSync(sourceList)) return true;
  for (const rel of readFileSync(sourceList, 'utf8').split('\n')) {
    if (rel === '') continue;
    const st = statSync(root + rel, { throwIfNoEntry: false });
    if (st === undefined || st.mtimeMs > built) return true;
  }
  return false;
}

const built = existsSync(bundle) ? statSync(bundle).mtimeMs : -1;
const stale = built < 0 || sourcesNewer(built);
if (!stale) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
