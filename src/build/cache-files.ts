/**
 * Which of the CLI script's code caches a command line takes. V8 reads a whole cache at start, so
 * one holding a simulate's ~1 MB of compiled functions made `pdsim --help` ~5 ms slower than no
 * bundle change at all; commands that simulate in this thread get that one, the rest a cache of the
 * start-up alone (the `--help` warm-up). Each is written by its warm-up runs at build time (bundle.ts).
 */
import type { TraceFormat } from '../workload/traces.js';

export interface CodeCache {
  file: string;
  /** The command lines whose compiled functions the cache holds (simulate ones get an --out each). */
  warmUps: readonly (readonly string[])[];
}

/**
 * A short simulate of each kind of deployment the regimes cover (colocated, P/D with KV transfer,
 * KV tiers, replayed Mooncake and Vidur traces): a P/D run from a quickstart-only cache cost ~7-10 ms
 * more (10 pairs, dual-l4-disagg at 10 requests) compiling the disaggregation code, while the
 * larger cache (1.05 -> ~1.2 MB) costs a quickstart run ~0-5 ms (10 pairs: +5, noise-level).
 */
const SIMULATE_WARM_UPS = ['quickstart', 'bench/dual-l4-disagg', 'bench/kv-tiers', 'bench/mooncake-4xh100', 'bench/vidur-parity'].map((s) => ['simulate', `scenarios/${s}.yaml`, '--set', 'workload.requests=10', '--no-progress']);

export const CODE_CACHES = {
  simulate: { file: 'pdsim-simulate.cache', warmUps: SIMULATE_WARM_UPS },
  other: { file: 'pdsim-other.cache', warmUps: [['--help']] },
} as const satisfies Record<string, CodeCache>;

/**
 * Commands that run whole simulations on the main thread. sweep's main thread runs points beside
 * its worker threads (src/plan/pool.ts): main-thread CPU of 8 x 5k quickstart points -16 ms serial,
 * -20 ms with -j 2 (paired medians, 6 pairs, load 10-13). plan's pool does too (not measured).
 */
const SIMULATING = new Set(['simulate', 'compare', 'sweep']);

export function cacheFileFor(argv: readonly string[]): string {
  return (argv[0] !== undefined && SIMULATING.has(argv[0]) ? CODE_CACHES.simulate : CODE_CACHES.other).file;
}

/**
 * The shipped traces (scenarios/traces) the build parses into dist/trace-cache (trace-cache-write.ts),
 * each with the format its scenarios read it as; a trace read as another format is parsed.
 */
export const TRACE_CACHES = [
  { trace: 'vidur-parity-100k.csv.gz', format: 'vidur' },
  { trace: 'azure-llm-2023-conv.csv.gz', format: 'azure' },
  { trace: 'mooncake-conversation.jsonl.gz', format: 'mooncake' },
] as const satisfies readonly { trace: string; format: TraceFormat }[];
