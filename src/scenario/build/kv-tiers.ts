/**
 * Wires KV tiers and swap areas (src/serving/kv-tiers.ts) onto the engine instances of a deployment, on a
 * topology and flow network: the disaggregated builder passes its own (tier I/O then shares links
 * with KV transfers), a colocated deployment gets one built here, from the same machine description
 * (machine.ts: host link from the GPU profile or `deployment.topology.hostLink`, host memory
 * and disk from `deployment.topology`), only when some pool uses tiers or swap; runs without them
 * build nothing and are unchanged.
 *
 * Knobs (vLLM names): `kvOffloadingGiB` (--kv-offloading-size, total over the instance's TP ranks)
 * sizes the CPU tier; `kvDiskGiB` a disk tier below it (LMCache local disk); `preemptionMode: swap`
 * with `swapSpaceGiB` (--swap-space, V0) a CPU swap area. `swapSpaceGiB` alone does nothing, as in V1.
 */
import { UserError } from '../../errors.js';
import { FlowNetwork } from '../../hardware/flow-network.js';
import { Topology } from '../../hardware/topology.js';
import type { Simulator } from '../../kernel/simulator.js';
import type { MetricsCollector } from '../../metrics/collector.js';
import { linkSummary } from '../../metrics/disagg-summary.js';
import { kvTierSeries, kvTiersSummary } from '../../metrics/kv-tiers-summary.js';
import type { DeploymentFigures } from '../../metrics/summary-schema.js';
import { loadGpu } from '../../model/catalog.js';
import { KvTiers, type TierOccupancyRow } from '../../serving/kv-tiers.js';
import type { EngineArgs, Scenario } from '../schema.js';
import { buildMachine } from './machine.js';
import type { BuiltPool } from './pool.js';
import { scenarioMessages } from '../../messages/scenario.js';
import { attachWeightStreams } from './weight-stream.js';

const GiB = 2 ** 30;

/** Whether a pool's engine args ask for a CPU/disk KV tier or swap preemption. */
export function usesKvTiers(engine: EngineArgs): boolean {
  return engine.kvOffloadingGiB > 0 || engine.kvDiskGiB > 0 || engine.preemptionMode === 'swap';
}

/**
 * Creates and attaches a KvTiers to every instance of the pools that use them. `gpusOf(pool, k)` gives
 * the machine-wide GPU indices of instance k of a pool. Throws UserError naming the field for
 * impossible set-ups (a disk tier without a CPU tier, swap without a swap area, a tier smaller than
 * one block, more host memory than the node has).
 */
export function attachKvTiers(sc: Scenario, file: string, sim: Simulator, net: FlowNetwork, topo: Topology, pools: BuiltPool[], gpusOf: (pool: BuiltPool, k: number) => number[], hostMemoryCapacityGiB: number): KvTiers[] {
  const out: KvTiers[] = [];
  const hostBytesPerNode = new Map<number, number>();
  for (const p of pools) {
    const e = p.engine;
    if (!usesKvTiers(e)) continue;
    const where = p.spec.engine && ('kvOffloadingGiB' in p.spec.engine || 'kvDiskGiB' in p.spec.engine || 'swapSpaceGiB' in p.spec.engine) ? `/deployment/pools/${p.index}/engine` : '/engine';
    if (e.kvDiskGiB > 0 && !(e.kvOffloadingGiB > 0)) {
      throw new UserError(scenarioMessages.diskTierNeedsCpuTier(), file, `${where}/kvOffloadingGiB`);
    }
    if (e.preemptionMode === 'swap' && !(e.swapSpaceGiB > 0)) {
      throw new UserError(scenarioMessages.swapNeedsSwapSpace(), file, `${where}/swapSpaceGiB`);
    }
    const tp = p.spec.tp;
    const blockBytes = p.capacity.kvBytesPerBlockPerGpu * tp;
    const blocks = (gib: number) => Math.floor((gib * GiB) / blockBytes);
    const cpuBlocks = e.kvOffloadingGiB > 0 ? blocks(e.kvOffloadingGiB) : 0;
    const diskBlocks = e.kvDiskGiB > 0 ? blocks(e.kvDiskGiB) : 0;
    const swapBlocks = e.preemptionMode === 'swap' ? blocks(e.swapSpaceGiB) : 0;
    const tooSmall = e.kvOffloadingGiB > 0 && cpuBlocks < 1 ? 'kvOffloadingGiB' : e.kvDiskGiB > 0 && diskBlocks < 1 ? 'kvDiskGiB' : e.preemptionMode === 'swap' && swapBlocks < 1 ? 'swapSpaceGiB' : undefined;
    if (tooSmall !== undefined) throw new UserError(scenarioMessages.tierBelowOneBlock(tooSmall, blockBytes), file, `${where}/${tooSmall}`);
    p.instances.forEach((inst, k) => {
      const gpus = gpusOf(p, k);
      const node = topo.nodeOfGpu(gpus[0]!);
      const host = { host: node };
      const disk = topo.disksOfNode(node)[0];
      if (diskBlocks > 0 && disk === undefined) throw new UserError(scenarioMessages.nodeHasNoDisk(node), file, `${where}/kvDiskGiB`);
      const hostBytes = (e.kvOffloadingGiB + (e.preemptionMode === 'swap' ? e.swapSpaceGiB : 0)) * GiB + e.cpuOffloadGB * 1e9 * tp;
      const used = (hostBytesPerNode.get(node) ?? 0) + hostBytes;
      hostBytesPerNode.set(node, used);
      if (used > hostMemoryCapacityGiB * GiB) {
        throw new UserError(scenarioMessages.hostMemoryExceeded(node, (used / GiB).toFixed(1), hostMemoryCapacityGiB), file, `${where}/kvOffloadingGiB`);
      }
      const tiers = new KvTiers(sim, net, {
        d2h: gpus.map((g) => topo.path({ gpu: g }, host)),
        h2d: gpus.map((g) => topo.path(host, { gpu: g })),
        toDisk: disk !== undefined ? topo.path(host, { disk }) : undefined,
        fromDisk: disk !== undefined ? topo.path({ disk }, host) : undefined,
      }, { instance: inst.name, blockSizeTokens: e.blockSize, blockBytes, cpuBlocks, diskBlocks, swapBlocks });
      inst.attachKvTiers(tiers);
      out.push(tiers);
    });
  }
  return out;
}

/**
 * A colocated deployment's machine and links, built only when some pool uses tiers, swap or weight
 * offload (whose stream is a flow on the host link, weight-stream.ts); returns
 * what `Built` adds (summary figures, tier series), or undefined when nothing was built.
 */
export function colocatedKvTiers(sc: Scenario, file: string, sim: Simulator, pools: BuiltPool[], collector: MetricsCollector | undefined, modelsDir?: string, soloFlows = true): { extraSummary: () => DeploymentFigures; tierSeries: () => TierOccupancyRow[] } | undefined {
  if (!pools.some((p) => usesKvTiers(p.engine) || p.capacity.offloadedWeightBytesPerGpu > 0)) return undefined;
  const gpus = sc.deployment.pools.map((p, i) => {
    try {
      return loadGpu(p.gpu, modelsDir);
    } catch (e) {
      if (e instanceof UserError) throw new UserError(e.message, file, `/deployment/pools/${i}/gpu`);
      throw e;
    }
  });
  const machine = buildMachine(sc, file, gpus, modelsDir);
  const topo = new Topology(machine.spec);
  const net = new FlowNetwork(sim, {}, 0, soloFlows);
  // Tier and weight flows are plain flows (no episodes, bursts or chains): host DRAM that cannot bind
  // leaves the solve, and most tier flows are then alone on their PCIe direction or disk channel.
  topo.install(net, true);
  attachKvTiers(sc, file, sim, net, topo, pools, (p, k) => machine.placement.gpus[p.index]![k]!, machine.hostMemoryCapacityGiB);
  attachWeightStreams(net, topo, pools, (p, k) => machine.placement.gpus[p.index]![k]!);
  const instances = pools.flatMap((p) => p.instances);
  return {
    extraSummary: () => {
      const duration = collector?.lastFinishS ?? sim.now;
      return { ...kvTiersSummary(instances, duration), links: linkSummary(net, duration) };
    },
    tierSeries: () => {
      const gpu: TierOccupancyRow[] = collector ? collector.series.rows(collector.lastFinishS).map((r) => ({ tS: r.tS, tier: 'gpu', occupancy: r.kvOccupancy })) : [];
      return [...gpu, ...kvTierSeries(instances)];
    },
  };
}
