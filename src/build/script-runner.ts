/**
 * Runs the CLI bundle (dist/pdsim.cjs, one CommonJS script) through `vm.Script` with V8's code cache
 * (dist/pdsim-*.cache, cache-files.ts): compiling the bundle's functions was most of a short command's start-up
 * (~80 ms of ~250 ms main-thread CPU for a 10-request simulate), and Node 20 caches no ESM code
 * (`module.enableCompileCache` is Node 22+). The caches are written at build time, at the end of
 * warm-up runs, so they hold the functions those runs compiled, not only the top level.
 *
 * A missing or rejected cache (another Node/V8 version, other V8 flags) only costs the compile: V8
 * checks version, flags and source and then compiles as without one. Outputs never depend on it.
 * PDSIM_CODE_CACHE: `write` (the build's warm-up, writeCache: the command lines in PDSIM_WARM_UPS),
 * `off` (ignore the cache), `check` (say on stderr at exit whether it was used).
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

function compile(file: string, cachedData: Buffer | undefined): vm.Script {
  return new vm.Script(wrapScript(readFileSync(file, 'utf8')), { filename: file, ...(cachedData ? { cachedData } : {}) });
}

/** Runs the compiled script once (its top level: the CLI on process.argv) and returns its exports. */
function evaluate(script: vm.Script, file: string): { done?: Promise<void> } {
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} };
  // Resolves from this module, dist/pdsim.mjs: the same node_modules lookup as from dist/pdsim.cjs.
  const importExternal = (specifier: string): Promise<unknown> => import(specifier);
  fn.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file), pathToFileURL(file).href, importExternal);
  return module.exports;
}

/** Compiles and runs `file` (a CommonJS script), with `cacheFile` as its V8 code cache. */
export function runScript(file: string, cacheFile: string, mode: Exclude<CacheMode, 'write'>): CacheOutcome {
  const cachedData = mode !== 'off' && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const script = compile(file, cachedData);
  const outcome: CacheOutcome = mode === 'off' ? 'off' : !cachedData ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used';
  if (mode === 'check') process.on('exit', () => process.stderr.write(`pdsim: code cache ${outcome}\n`));
  evaluate(script, file);
  return outcome;
}

/**
 * The build's warm-up: runs the script once per command line, one after the other in this process
 * (each evaluation shares the compiled functions of the one script), then saves the cache, which
 * then holds every function those runs compiled. A run that fails stops it (exit code 1).
 */
export async function writeCache(file: string, cacheFile: string, warmUps: readonly (readonly string[])[]): Promise<void> {
  const script = compile(file, undefined);
  for (const argv of warmUps) {
    process.argv = [process.argv[0]!, file, ...argv];
    await evaluate(script, file).done;
    if ((process.exitCode ?? 0) !== 0) throw new Error(`warm-up \`pdsim ${argv.join(' ')}\` exited ${process.exitCode}`);
  }
  writeAtomic(cacheFile, script.createCachedData());
}

/** Writes `file` whole or not at all (a temporary file renamed over it), so no reader sees half a cache. */
export function writeAtomic(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}
