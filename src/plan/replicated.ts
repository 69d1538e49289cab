/**
 * `--replicates N` for simulate and compare: the extra seeds' runs (on all cores, through the
 * engine adapter), the mean and 95% interval per figure, and for two scenarios the Welch interval
 * of the difference and whether it exceeds the seed-to-seed noise (tables: src/cli/replicate-tables.ts).
 */
import type { Summary } from '../metrics/summary.js';
import type { LoadedScenario } from '../scenario/load.js';
import { runPool } from './pool.js';
import { numericFigures, replicateIntervals } from './replicates.js';
import { welchInterval, type DifferenceInterval, type Interval } from './stats.js';

/** The figures the replicate tables show (others are in replicates.json). */
export const REPLICATE_FIGURES = ['request_throughput', 'output_throughput', 'request_goodput', 'slo_attainment', 'mean_ttft_ms', 'median_ttft_ms', 'p99_ttft_ms', 'mean_tpot_ms', 'p99_tpot_ms', 'mean_itl_ms', 'p99_itl_ms', 'median_e2el_ms', 'p99_e2el_ms'];

export async function runSeeds(loaded: LoadedScenario, seeds: readonly number[], workers?: number): Promise<Summary[]> {
  const raw = loaded.scenario as unknown as Record<string, unknown>;
  const results = await runPool(seeds.map((seed) => ({ kind: 'eval', input: { raw, file: loaded.file, baseDir: loaded.baseDir, seed } })), { workers });
  return results.map((r) => {
    if (r.kind !== 'eval') throw new Error('runSeeds: unexpected task result');
    return r.output.summary;
  });
}

export interface ComparedFigure {
  figure: string;
  a: Interval;
  b: Interval;
  diff: DifferenceInterval;
}

export function compareReplicates(a: readonly Summary[], b: readonly Summary[]): ComparedFigure[] {
  const ia = replicateIntervals(a);
  const ib = replicateIntervals(b);
  const fa = a.map(numericFigures);
  const fb = b.map(numericFigures);
  return REPLICATE_FIGURES.filter((k) => ia[k] && ib[k]).map((k) => ({ figure: k, a: ia[k]!, b: ib[k]!, diff: welchInterval(fa.map((f) => f[k]!), fb.map((f) => f[k]!)) }));
}
