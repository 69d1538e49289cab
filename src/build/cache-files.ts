/**
 * Which of the CLI script's code caches a command line takes. V8 reads a whole cache at start, so
 * one holding a simulate's ~1 MB of compiled functions made `pdsim --help` ~5 ms slower than no
 * bundle change at all; commands that simulate in this thread get that one, the rest a cache of the
 * start-up alone (the `--help` warm-up). Each is written by its warm-up run at build time (bundle.ts).
 */
export interface CodeCache {
  file: string;
  /** The command line whose compiled functions the cache holds. */
  warmUp: readonly string[];
}

export const CODE_CACHES = {
  simulate: { file: 'pdsim-simulate.cache', warmUp: ['simulate', 'scenarios/quickstart.yaml', '--set', 'workload.requests=10', '--no-progress'] },
  other: { file: 'pdsim-other.cache', warmUp: ['--help'] },
} as const satisfies Record<string, CodeCache>;

/** Commands that run whole simulations on the main thread (sweep and plan run them in workers). */
const SIMULATING = new Set(['simulate', 'compare']);

export function cacheFileFor(argv: readonly string[]): string {
  return (argv[0] !== undefined && SIMULATING.has(argv[0]) ? CODE_CACHES.simulate : CODE_CACHES.other).file;
}
