/**
 * Runs the CLI bundle (dist/pdsim.cjs, one CommonJS script) through `vm.Script` with V8's code cache
 * (dist/pdsim-*.cache, cache-files.ts): compiling the bundle's functions was most of a short command's start-up
 * (~80 ms of ~250 ms main-thread CPU for a 10-request simulate), and Node 20 caches no ESM code
 * (`module.enableCompileCache` is Node 22+). The caches are written at build time, at the end of
 * warm-up runs, so they hold the functions those runs compiled, not only the top level.
 *
 * A missing or rejected cache (another Node/V8 version, other V8 flags) only costs the compile: V8
 * checks version, flags and source and then compiles as without one. Outputs never depend on it.
 * PDSIM_CODE_CACHE: `write` (the build's warm-up: save the cache at exit), `off` (ignore it),
 * `check` (say on stderr at exit whether it was used).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

export type CacheMode = 'use' | 'write' | 'off' | 'check';

/**
 * The wrapper Node gives CommonJS files, plus the bundle's `import.meta.url` (bundle.ts defines it
 * as __pdsimUrl) and an import() for external packages (src/io/import-external.ts says why). "use strict": the sources are ES modules, strict throughout, and esbuild's CommonJS
 * output adds no directive; without it the bundle would run in sloppy mode.
 */
const PARAMS = 'exports, require, module, __filename, __dirname, __pdsimUrl, __pdsimImport';
export function wrapScript(source: string): string {
  return `(function (${PARAMS}) {"use strict";${source}\n})`;
}

export function cacheModeFrom(value: string | undefined): CacheMode {
  return value === 'write' || value === 'off' || value === 'check' ? value : 'use';
}

/** What happened to the cache: `used`, `rejected` (V8 would not take it), `missing`, or `off`. */
export type CacheOutcome = 'used' | 'rejected' | 'missing' | 'off';

/** Compiles and runs `file` (a CommonJS script), with `cacheFile` as its V8 code cache. */
export function runScript(file: string, cacheFile: string, mode: CacheMode): CacheOutcome {
  const source = readFileSync(file, 'utf8');
  const cachedData = mode !== 'off' && mode !== 'write' && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const script = new vm.Script(wrapScript(source), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const outcome: CacheOutcome = mode === 'off' || mode === 'write' ? 'off' : !cachedData ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used';
  if (mode === 'write') {
    // At exit, so the cache also holds the functions compiled while running (V8 adds them).
    process.on('exit', () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    });
  }
  if (mode === 'check') process.on('exit', () => process.stderr.write(`pdsim: code cache ${outcome}\n`));
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} };
  // Resolves from this module, dist/pdsim.mjs: the same node_modules lookup as from dist/pdsim.cjs.
  const importExternal = (specifier: string): Promise<unknown> => import(specifier);
  fn.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file), pathToFileURL(file).href, importExternal);
  return outcome;
}
