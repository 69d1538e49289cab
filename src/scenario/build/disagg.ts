/**
 * Builds a disaggregated deployment (xPyD, any GPUs): prefill pools, decode pools and optional
 * colocated pools, the machine they sit on, the flow network and KV transfer manager joining them,
 * and the P/D runtime (src/serving/disagg/pd-deployment.ts) that owns flights and hand-off.
 * Impossible set-ups are rejected here, naming the field: no path between a prefill and a decode GPU,
 * a staging buffer smaller than one chunk of a max-length prompt, a prompt no KV cache can hold.
 */
import type { RandomStreams } from '../../kernel/random.js';
import type { Simulator } from '../../kernel/simulator.js';
import { atPointer, UserError } from '../../errors.js';
import { FlowNetwork } from '../../hardware/flow-network.js';
import { Topology } from '../../hardware/topology.js';
import { StagingBuffer } from '../../kv/staging-buffer.js';
import type { MetricsCollector } from '../../metrics/collector.js';
import { disaggSummary, TransferStats } from '../../metrics/disagg-summary.js';
import { kvTierSeries, kvTiersSummary, thin } from '../../metrics/kv-tiers-summary.js';
import { OccupancySeries } from '../../metrics/occupancy-series.js';
import { loadGpu, loadLlm } from '../../model/catalog.js';
import { adaptiveTargetInfeasible, makeDecodePolicy } from '../../serving/scheduler/decode/index.js';
import { messages } from '../../messages.js';
import { DisaggSink } from '../../serving/disagg/disagg-sink.js';
import { KvTransferManager } from '../../serving/disagg/kv-transfer.js';
import { PdDeployment } from '../../serving/disagg/pd-deployment.js';
import { FrontEndDeployment } from '../../serving/front-end-deployment.js';
import { GpuTurns } from '../../serving/gpu-turns.js';
import type { EngineInstance, InstanceHooks } from '../../serving/instance.js';
import type { Scenario } from '../schema.js';
import { attachKvTiers } from './kv-tiers.js';
import { buildMachine } from './machine.js';
import { buildPool, type BuildOptions, type Built, type BuiltPool } from './pool.js';
import { scenarioMessages } from '../../messages/scenario.js';
import { attachWeightStreams } from './weight-stream.js';

const GiB = 2 ** 30;

export function buildDisaggregated(sc: Scenario, file: string, sim: Simulator, streams: RandomStreams, collector: MetricsCollector, opts: BuildOptions): Built {
  const arch = atPointer(file, '/model', () => loadLlm(sc.model, opts.modelsDir));
  const dep = sc.deployment;
  const sink = new DisaggSink(collector);
  const pol = dep.policies;
  const decodePolicy = makeDecodePolicy({
    lengthBinTokens: pol?.decodeBatching === 'length-bins' ? pol.lengthBinTokens ?? 512 : undefined,
    adaptiveTpotMs: pol?.adaptiveBatchTpotMs,
    sameIterationEviction: pol?.evictAtEos === 'same-iteration',
  });
  // The instances' hooks call the P/D runtime, created once the instances and transfers exist.
  let pd: PdDeployment | undefined;
  const runtime = (): PdDeployment => pd!;
  const hooksFor = (role: string) => (name: string): InstanceHooks => {
    if (role === 'prefill') return { onPrefillIteration: (r, startS, bd) => runtime().onPrefillIteration(instanceByName.get(name)!, r, startS, bd), onPrefillDone: (r, t) => runtime().onPrefillDone(r, t) };
    if (role === 'decode') return { onLeave: () => runtime().onDecodeLeave() };
    return {};
  };
  const pools: BuiltPool[] = dep.pools.map((p, i) => buildPool(sc, file, p, i, arch, sim, sink, opts, { hooks: hooksFor(p.role), decodePolicy: p.role === 'decode' ? decodePolicy : undefined }));
  const byRole = (role: string) => pools.filter((p) => p.spec.role === role).flatMap((p) => p.instances);
  const prefills = byRole('prefill');
  const decodes = byRole('decode');
  const colocated = byRole('colocated');
  const instanceByName = new Map(pools.flatMap((p) => p.instances.map((inst) => [inst.name, inst] as const)));

  // The machine, the links, and up-front checks of every prefill -> decode path.
  const gpus = dep.pools.map((p, i) => atPointer(file, `/deployment/pools/${i}/gpu`, () => loadGpu(p.gpu, opts.modelsDir)));
  const machine = buildMachine(sc, file, gpus, opts.modelsDir);
  const topo = new Topology(machine.spec);
  const gpusOf = new Map<EngineInstance, number[]>();
  pools.forEach((p) => p.instances.forEach((inst, k) => gpusOf.set(inst, machine.placement.gpus[p.index]![k]!)));
  const sizes = prefills[0]!.perf.sizes;
  const tr = dep.transfer ?? { policy: 'layerwise' as const, path: 'direct' as const, stagingBufferGiB: 4, hostMemory: 'pinned' as const };
  // A transfer's per-channel bars feed only the timeline: without one, the network reports no segments.
  const timeline = sc.output?.timeline ?? true;
  const net = new FlowNetwork(sim, timeline ? { onSegment: (seg) => mgr.onSegment(seg) } : {}, 0, opts.fastForward);
  // Host DRAM stays in the solve even where it cannot bind: staging routes cross it, and their layer
  // chains, episodes and bursts (which refuse non-binding channels) save more events than leaving it.
  topo.install(net);
  // CPU/disk KV tiers and swap areas share these links with the KV transfers.
  attachKvTiers(sc, file, sim, net, topo, pools, (p, k) => machine.placement.gpus[p.index]![k]!, machine.hostMemoryCapacityGiB);
  // Offloaded weights stream over the same host links, as flows.
  attachWeightStreams(net, topo, pools, (p, k) => machine.placement.gpus[p.index]![k]!);
  const maxModelLen = Math.max(...pools.map((p) => p.instances[0]!.cfg.maxModelLen));
  pools.forEach((p) => {
    if (p.spec.role !== 'prefill') return;
    const tokens = p.capacity.numGpuBlocks * p.engine.blockSize;
    if (tokens < maxModelLen) {
      throw new UserError(scenarioMessages.prefillCacheBelowMaxModelLen(tokens, maxModelLen), file, `/deployment/pools/${p.index}/gpu`);
    }
  });
  const staging = new Map<number, StagingBuffer>();
  const stats = new TransferStats();
  const mgr = new KvTransferManager(sim, net, topo, {
    policy: tr.policy, path: tr.path, hostMemory: tr.hostMemory, numLayers: arch.numLayers, kvBytesPerTokenPerLayer: sizes.kvBytesPerTokenPerLayer, chunkTokens: dep.transfer?.chunkTokens,
  }, (g) => staging.get(topo.nodeOfGpu(g)), { onSourceFree: (t) => runtime().onSourceFree(t), onReady: (t) => runtime().onReady(t) },
  // Layer chains (fast path) with one staging buffer: its occupancy series is the only one, so
  // series order cannot depend on when a chain applies its steps.
  opts.fastForward && tr.path === 'staging' && new Set(prefills.map((i) => topo.nodeOfGpu(gpusOf.get(i)![0]!))).size === 1);
  const stagingSeries: OccupancySeries[] = [];
  if (tr.path === 'staging') {
    if (tr.stagingBufferGiB > machine.hostMemoryCapacityGiB) {
      throw new UserError(scenarioMessages.stagingBufferTooLarge(tr.stagingBufferGiB, machine.hostMemoryCapacityGiB), file, '/deployment/transfer/stagingBufferGiB');
    }
    const minTp = Math.min(...prefills.map((i) => i.perf.tp));
    const pageBytes = Math.ceil(mgr.shardChunkBytes(prefills[0]!.cfg.blockSizeTokens, minTp));
    const minimum = { bytes: mgr.shardChunkBytes(maxModelLen, minTp), what: tr.policy === 'layerwise' ? `one layer's KV of a maxModelLen (${maxModelLen}) prompt` : `the whole KV of a maxModelLen (${maxModelLen}) prompt` };
    const nodes = new Set(prefills.map((i) => topo.nodeOfGpu(gpusOf.get(i)![0]!)));
    for (const n of nodes) {
      // Bounded (every change of a 100k-request run was 2 GB); series listed in order of first change.
      const series = new OccupancySeries(`cpu staging node${n}`);
      const onOccupancy = (tS: number, used: number): void => {
        if (series.samples === 0) stagingSeries.push(series);
        series.add(tS, used / (tr.stagingBufferGiB * GiB));
      };
      const buf = atPointer(file, '/deployment/transfer/stagingBufferGiB', () => new StagingBuffer(sim, { capacityBytes: tr.stagingBufferGiB * GiB, pageBytes, minimum, onOccupancy, pageNumbers: false }));
      staging.set(n, buf);
    }
  }
  if (dep.topology?.sharedGpu === true) {
    // One GPU for every instance (reference A): no GPU-to-GPU path; iterations take turns on it.
    if (tr.path === 'direct' || tr.path === 'network') {
      throw new UserError(scenarioMessages.sharedGpuNeedsSharedStore(tr.path), file, '/deployment/transfer/path');
    }
    const turns = new GpuTurns(sim);
    for (const inst of instanceByName.values()) inst.shareGpu(turns);
  }
  for (const p of prefills) {
    for (const d of decodes) {
      const [a, b] = [gpusOf.get(p)![0]!, gpusOf.get(d)![0]!];
      if (tr.path === 'direct' && topo.nodeOfGpu(a) !== topo.nodeOfGpu(b)) {
        throw new UserError(scenarioMessages.noDirectPath(d.name, b, topo.nodeOfGpu(b), p.name, a, topo.nodeOfGpu(a)), file, '/deployment/transfer/path');
      }
      atPointer(file, '/deployment/topology/nic', () => mgr.routesFor(a, b));
    }
  }

  pd = new PdDeployment(sim, prefills, decodes, colocated, sink, mgr, stats, {
    policy: dep.router?.policy ?? 'round-robin',
    streams: { prefill: streams.stream('router.prefill'), decode: streams.stream('router.decode'), colocated: streams.stream('router.colocated') },
    transferPolicy: tr.policy,
    numLayers: arch.numLayers,
    thresholdTokens: dep.router?.disaggregate === 'above-threshold' ? dep.router.thresholdTokens ?? 0 : 0,
    keyed: pools.some((p) => p.engine.enablePrefixCaching || p.engine.kvOffloadingGiB > 0),
    blockSizeTokens: prefills[0]!.cfg.blockSizeTokens,
    gpusOf,
    // The decode leg goes through D's own API server (vLLM's P/D proxy sends it there), so it pays
    // that front end after the prefill, as the prefill leg paid P's before it.
    decodeLegMs: (pools.find((p) => p.spec.role === 'decode') ?? pools[0]!).setup.frontEnd.requestMs,
  });
  const warnings: string[] = [];
  const target = pol?.adaptiveBatchTpotMs;
  if (target !== undefined) {
    for (const p of pools) {
      if (p.spec.role !== 'decode') continue;
      const oneMs = adaptiveTargetInfeasible(target, p.instances[0]!.perf);
      if (oneMs !== undefined) warnings.push(`${file}: ${messages.adaptiveTargetInfeasible('/deployment/policies/adaptiveBatchTpotMs', target, oneMs, p.spec.name ?? 'decode')}`);
    }
  }
  return {
    warnings,
    // The client talks to the proxy, whose first hop is a prefill instance's API server.
    deployment: new FrontEndDeployment(pd, sim, pools[0]!.setup.frontEnd.requestMs),
    arch,
    pools,
    uncalibratedGpus: [...new Set(pools.filter((p) => !p.gpu.calibrated).map((p) => p.gpu.id))],
    extraSummary: () => ({
      ...disaggSummary({ collector, stats, net, pools, gpusOf, staging, transfer: tr, decodePolicy: decodePolicy?.name ?? 'continuous', pendingTransfers: pd.pendingTransfers, decodeQueue: pd.decodeQueueLength, occupancy: sink.occupancy }),
      ...kvTiersSummary([...instanceByName.values()], collector.lastFinishS),
    }),
    tierSeries: () => thin([...sink.occupancy, ...stagingSeries.flatMap((x) => x.rows()), ...kvTierSeries([...instanceByName.values()])]),
  };
}
