/**
 * The composition root: the only code that reads a resolved `Scenario` or the model catalog and
 * creates concrete classes (perf models, engine instances, KV tiers, transfer paths, deployments).
 * Models receive their collaborators; they never look them up. Steps:
 *   1. check (check.ts: cross-field rules, with pointers, before anything is built);
 *   2. pools (pool.ts: GPU, engine args, KV capacity, perf model, instances);
 *   3. deployment: colocated replicas (colocated.ts) or P/D (disagg.ts: machine, links, transfers,
 *      PdDeployment), with KV tiers where the engine args ask for them (kv-tiers.ts).
 * `simulate`, `sweep`, `validate` (through run/simulation.ts) and `serve` (adapters/server) all build here.
 */
import type { RandomStreams } from '../../kernel/random.js';
import type { Simulator } from '../../kernel/simulator.js';
import type { MetricsCollector } from '../../metrics/collector.js';
import { checkScenario } from '../check.js';
import type { Scenario } from '../schema.js';
import { buildColocated } from './colocated.js';
import { buildDisaggregated } from './disagg.js';
import type { BuildOptions, Built } from './pool.js';

export type { BuildOptions, Built, BuiltPool } from './pool.js';
export { poolEngine } from './pool.js';

export function isDisaggregated(sc: Scenario): boolean {
  return sc.deployment.pools.some((p) => p.role !== 'colocated');
}

export function buildDeployment(sc: Scenario, file: string, sim: Simulator, streams: RandomStreams, collector: MetricsCollector, opts: BuildOptions): Built {
  checkScenario(sc, file);
  if (isDisaggregated(sc)) return buildDisaggregated(sc, file, sim, streams, collector, opts);
  return buildColocated(sc, file, sim, streams, collector, opts);
}
