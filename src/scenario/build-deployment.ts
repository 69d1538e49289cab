/**
 * Chooses how to build a scenario's deployment: colocated pools only, or prefill and decode pools
 * joined by KV transfers (src/serving/disagg).
 */
import type { RandomStreams } from '../kernel/random.js';
import type { Simulator } from '../kernel/simulator.js';
import type { MetricsCollector } from '../metrics/collector.js';
import { buildDisaggregated } from '../serving/disagg/build-disagg.js';
import { buildColocated, type BuildOptions, type Built } from './build.js';
import { checkScenario } from './check.js';
import type { Scenario } from './schema.js';

export type { Built } from './build.js';

export function isDisaggregated(sc: Scenario): boolean {
  return sc.deployment.pools.some((p) => p.role !== 'colocated');
}

export function buildDeployment(sc: Scenario, file: string, sim: Simulator, streams: RandomStreams, collector: MetricsCollector, opts: BuildOptions): Built {
  checkScenario(sc, file);
  if (isDisaggregated(sc)) return buildDisaggregated(sc, file, sim, streams, collector, opts);
  return buildColocated(sc, file, sim, streams, collector, opts, collector);
}
