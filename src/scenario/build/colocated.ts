/** Builds a colocated deployment: replicas of one or more colocated pools behind one router. */
import type { RandomStreams } from '../../kernel/random.js';
import type { Simulator } from '../../kernel/simulator.js';
import type { MetricsCollector } from '../../metrics/collector.js';
import { thin } from '../../metrics/kv-tiers-summary.js';
import { atPointer } from '../../errors.js';
import { loadLlm } from '../../model/catalog.js';
import { ColocatedDeployment } from '../../serving/colocated-deployment.js';
import { FrontEndDeployment } from '../../serving/front-end-deployment.js';
import type { Scenario } from '../schema.js';
import { colocatedKvTiers } from './kv-tiers.js';
import { buildPool, type BuildOptions, type Built } from './pool.js';

export function buildColocated(sc: Scenario, file: string, sim: Simulator, streams: RandomStreams, collector: MetricsCollector, opts: BuildOptions): Built {
  const arch = atPointer(file, '/model', () => loadLlm(sc.model, opts.modelsDir));
  const pools = sc.deployment.pools.map((p, i) => buildPool(sc, file, p, i, arch, sim, collector, opts));
  // CPU/disk KV tiers and swap: a machine and links only when some pool uses them.
  const tiers = colocatedKvTiers(sc, file, sim, pools, collector, opts.modelsDir, opts.fastForward);
  // Tier lookups are by prefix block key, so requests carry keys when tiers are on.
  const keyed = pools.some((p) => p.engine.enablePrefixCaching) || (tiers !== undefined && pools.some((p) => p.engine.kvOffloadingGiB > 0));
  const deployment = new ColocatedDeployment(pools.flatMap((p) => p.instances), {
    policy: sc.deployment.router?.policy ?? 'round-robin',
    rng: streams.stream('router'),
    keyed,
    blockSizeTokens: pools[0]!.engine.blockSize,
    nowS: () => sim.now,
  });
  // `vllm serve`'s API server in front of the replicas (a client's TTFT includes it).
  const served = new FrontEndDeployment(deployment, sim, pools[0]!.setup.frontEnd.requestMs);
  const built: Built = { deployment: served, arch, pools, uncalibratedGpus: [...new Set(pools.filter((p) => !p.gpu.calibrated).map((p) => p.gpu.id))] };
  if (tiers) {
    built.extraSummary = tiers.extraSummary;
    built.tierSeries = () => thin(tiers.tierSeries());
  }
  return built;
}
