/**
 * Composition root of a disaggregated deployment (xPyD, any GPUs): prefill pools, decode pools and
 * optional colocated pools behind a router, joined by KV transfers on a flow network.
 *
 * A request's path:
 *   1. router: short prompts (disaggregate: above-threshold) go to a colocated pool, or run whole on
 *      a decode instance; the rest go to a prefill instance (router policy);
 *   2. prefill iteration start (hook): the transfer is scheduled, one chunk per layer (layer-wise,
 *      due when that layer's compute ends) or one chunk at prefill end (whole); layer-wise also
 *      reserves decode blocks now, whole when prefill ends (vLLM reserves while the request waits
 *      for remote KV). No decode blocks free: the request queues, FIFO (back-pressure, measured);
 *   3. chunks move (kv-transfer.ts); the prefill instance frees its blocks when the source legs are
 *      done; when the last destination leg lands the decode instance admits the request.
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
import { loadLlm } from '../../model/catalog.js';
import { loadGpu } from '../../model/catalog.js';
import { buildPool, type BuildOptions, type Built, type BuiltPool } from '../../scenario/build.js';
import type { Scenario } from '../../scenario/schema.js';
import { makeDecodePolicy } from '../batch-policy.js';
import { blockKeys } from '../block-keys.js';
import type { Deployment } from '../deployment.js';
import type { EngineInstance, InstanceHooks } from '../instance.js';
import { attachKvTiers, kvTiersSummary, kvTierSeries } from '../kv-tiers-setup.js';
import { fastForwardSafePolicy, pickInstance } from '../pick-instance.js';
import { RequestState } from '../request-state.js';
import type { RequestSpec } from '../types.js';
import { DisaggSink } from './disagg-sink.js';
import { KvTransferManager, type Transfer } from './kv-transfer.js';
import { buildMachine } from './machine.js';
import { disaggSummary, TransferStats } from './stats.js';

const GiB = 2 ** 30;

interface Flight {
  req: RequestState;
  prefill: EngineInstance;
  transfer: Transfer;
  /** The decode side's own state (its blocks are not the prefill's). */
  dreq: RequestState;
  decode: EngineInstance | null;
  wantS: number;
}

export function buildDisaggregated(sc: Scenario, file: string, sim: Simulator, streams: RandomStreams, collector: MetricsCollector, opts: BuildOptions): Built {
  const arch = atPointer(file, '/model', () => loadLlm(sc.model, opts.modelsDir));
  const dep = sc.deployment;
  const roles = dep.pools.map((p) => p.role);
  if (!roles.includes('prefill') || !roles.includes('decode')) {
    throw new UserError('a disaggregated deployment needs both a prefill pool and a decode pool', file, '/deployment/pools');
  }
  const sink = new DisaggSink(collector);
  const pol = dep.policies;
  const decodePolicy = makeDecodePolicy({
    lengthBinTokens: pol?.decodeBatching === 'length-bins' ? pol.lengthBinTokens ?? 512 : undefined,
    adaptiveTpotMs: pol?.adaptiveBatchTpotMs,
    sameIterationEviction: pol?.evictAtEos === 'same-iteration',
  });
  const flights = new Map<number, Flight>();
  const hooksFor = (role: string) => (name: string): InstanceHooks => {
    if (role === 'prefill') return { onPrefillIteration: (r, startS, bd) => onPrefillIteration(name, r, startS, bd.outsideLayersMs, bd.perLayerMs, bd.totalMs), onPrefillDone: (r, t) => onPrefillDone(r, t) };
    if (role === 'decode') return { onLeave: () => drainDecodeQueue() };
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
  const net = new FlowNetwork(sim, { onSegment: (seg) => mgr.onSegment(seg) });
  topo.install(net);
  // CPU/disk KV tiers and swap areas share these links with the KV transfers.
  attachKvTiers(sc, file, sim, net, topo, pools, (p, k) => machine.placement.gpus[p.index]![k]!, machine.hostMemoryCapacityGiB);
  const maxModelLen = Math.max(...pools.map((p) => p.instances[0]!.cfg.maxModelLen));
  pools.forEach((p) => {
    if (p.spec.role !== 'prefill') return;
    const tokens = p.capacity.numGpuBlocks * p.engine.blockSize;
    if (tokens < maxModelLen) {
      throw new UserError(`the prefill KV cache holds ${tokens} tokens, less than one maxModelLen (${maxModelLen}) prompt; give the pool more memory or lower maxModelLen`, file, `/deployment/pools/${p.index}/gpu`);
    }
  });
  const staging = new Map<number, StagingBuffer>();
  const stats = new TransferStats();
  const mgr = new KvTransferManager(sim, net, topo, {
    policy: tr.policy, path: tr.path, hostMemory: tr.hostMemory, numLayers: arch.numLayers, kvBytesPerTokenPerLayer: sizes.kvBytesPerTokenPerLayer,
  }, (g) => staging.get(topo.nodeOfGpu(g)), { onSourceFree: (t) => onSourceFree(t), onReady: (t) => onReady(t) });
  if (tr.path === 'staging') {
    if (tr.stagingBufferGiB > machine.hostMemoryCapacityGiB) {
      throw new UserError(`staging buffer of ${tr.stagingBufferGiB} GiB exceeds the host's ${machine.hostMemoryCapacityGiB} GiB of memory`, file, '/deployment/transfer/stagingBufferGiB');
    }
    const minTp = Math.min(...prefills.map((i) => i.perf.tp));
    const pageBytes = Math.ceil(mgr.shardChunkBytes(prefills[0]!.cfg.blockSizeTokens, minTp));
    const minimum = { bytes: mgr.shardChunkBytes(maxModelLen, minTp), what: tr.policy === 'layerwise' ? `one layer's KV of a maxModelLen (${maxModelLen}) prompt` : `the whole KV of a maxModelLen (${maxModelLen}) prompt` };
    const nodes = new Set(prefills.map((i) => topo.nodeOfGpu(gpusOf.get(i)![0]!)));
    for (const n of nodes) {
      const buf = atPointer(file, '/deployment/transfer/stagingBufferGiB', () => new StagingBuffer(sim, { capacityBytes: tr.stagingBufferGiB * GiB, pageBytes, minimum, onOccupancy: (tS, used) => stagingSeries.push({ tS, tier: `cpu staging node${n}`, occupancy: used / (tr.stagingBufferGiB * GiB) }) }));
      staging.set(n, buf);
    }
  }
  const stagingSeries: { tS: number; tier: string; occupancy: number }[] = [];
  for (const p of prefills) {
    for (const d of decodes) {
      const [a, b] = [gpusOf.get(p)![0]!, gpusOf.get(d)![0]!];
      if (tr.path === 'direct' && topo.nodeOfGpu(a) !== topo.nodeOfGpu(b)) {
        throw new UserError(`decode instance ${d.name} (gpu${b}, node${topo.nodeOfGpu(b)}) has no direct path to prefill instance ${p.name} (gpu${a}, node${topo.nodeOfGpu(a)}): direct means NVLink or PCIe within one node; use path network, or raise topology.gpusPerNode`, file, '/deployment/transfer/path');
      }
      atPointer(file, '/deployment/topology/nic', () => mgr.routesFor(a, b));
    }
  }

  // 1. Routing.
  const policy = dep.router?.policy ?? 'round-robin';
  const rngP = streams.stream('router.prefill');
  const rngD = streams.stream('router.decode');
  const rrP = { next: 0 };
  const rrD = { next: 0 };
  const rrC = { next: 0 };
  const bs = prefills[0]!.cfg.blockSizeTokens;
  const prefixCaching = pools.some((p) => p.engine.enablePrefixCaching || p.engine.kvOffloadingGiB > 0);
  const threshold = dep.router?.disaggregate === 'above-threshold' ? dep.router.thresholdTokens ?? 0 : 0;
  const deployment: Deployment = {
    submit(spec: RequestSpec) {
      const keys = prefixCaching ? blockKeys(spec.promptTokens, spec.prefixHashes, spec.prefixBlockTokens, bs) : [];
      const req = new RequestState(spec, keys);
      if (spec.promptTokens < threshold) {
        const local = colocated.length > 0 ? colocated : decodes;
        pickInstance(policy, local, rrC, rngD, keys).submit(req);
        return;
      }
      const reason = decodes[0]!.rejectReason(spec.promptTokens, spec.outputTokens);
      if (reason !== undefined) {
        sink.finish(req, sim.now, 'router', `decode: ${reason}`);
        return;
      }
      pickInstance(policy, prefills, rrP, rngP, keys).submit(req);
    },
  };

  // 2. Prefill side.
  function onPrefillIteration(name: string, req: RequestState, startS: number, outsideMs: number, perLayerMs: number, totalMs: number): void {
    const prefill = instanceByName.get(name)!;
    // Per-iteration work outside the layers (scheduling, input preparation) is placed first, so the
    // last layer ends with the iteration.
    const due = tr.policy === 'layerwise' ? Array.from({ length: arch.numLayers }, (_, i) => startS + (outsideMs + (i + 1) * perLayerMs) / 1000) : [startS + totalMs / 1000];
    due[due.length - 1] = startS + totalMs / 1000;
    const transfer = mgr.begin(req, gpusOf.get(prefill)!, due);
    const f: Flight = { req, prefill, transfer, dreq: new RequestState(req.spec, []), decode: null, wantS: NaN };
    flights.set(req.spec.id, f);
    if (tr.policy === 'layerwise') requestDecode(f);
  }
  function onPrefillDone(req: RequestState, timeS: number): void {
    const f = flights.get(req.spec.id)!;
    if (tr.policy === 'whole') requestDecode(f);
    mgr.prefillDone(f.transfer, timeS);
  }

  // 3. Decode-side reservation, FIFO.
  const queue: Flight[] = [];
  function tryReserve(f: Flight): boolean {
    const first = pickInstance(policy, decodes, rrD, rngD, []);
    for (const d of [first, ...decodes.filter((x) => x !== first)]) {
      if (d.reserveForRemote(f.dreq)) {
        f.decode = d;
        stats.reserveWaitS += sim.now - f.wantS;
        mgr.setDestination(f.transfer, gpusOf.get(d)!);
        return true;
      }
    }
    return false;
  }
  function requestDecode(f: Flight): void {
    f.wantS = sim.now;
    if (queue.length > 0 || !tryReserve(f)) {
      queue.push(f);
      stats.reserveWaits++;
      stats.maxQueue = Math.max(stats.maxQueue, queue.length);
    }
  }
  function drainDecodeQueue(): void {
    while (queue.length > 0 && tryReserve(queue[0]!)) queue.shift();
  }

  // 4. Completion of the legs.
  function onSourceFree(t: Transfer): void {
    flights.get(t.req.spec.id)!.prefill.releaseHandedOff(t.req);
  }
  function onReady(t: Transfer): void {
    const f = flights.get(t.req.spec.id)!;
    flights.delete(t.req.spec.id);
    const { req, dreq } = f;
    dreq.firstTokenS = req.firstTokenS;
    dreq.lastTokenS = req.lastTokenS;
    dreq.generated = req.generated;
    dreq.cachedPromptTokens = req.cachedPromptTokens;
    dreq.preemptions = req.preemptions;
    const transferMs = (t.doneS - t.firstDueS) * 1000;
    const exposedMs = (t.doneS - t.prefillDoneS!) * 1000;
    const overlapS = sink.computeOverlapS(f.prefill.name, t.firstMoveS, t.doneS);
    stats.add(t.bytes, transferMs, exposedMs, t.doneS - t.firstMoveS, overlapS);
    sink.extras.set(req.spec.id, { replica: `${f.prefill.name}->${f.decode!.name}`, kvTransferMs: round3(transferMs), kvExposedMs: round3(exposedMs) });
    for (const [ch, seg] of t.channels) collector.segment({ resource: ch, kind: 'transfer', startS: seg.startS, endS: seg.endS });
    f.decode!.admitRemote(dreq);
  }

  return {
    deployment,
    arch,
    pools,
    uncalibratedGpus: [...new Set(pools.filter((p) => !p.gpu.calibrated).map((p) => p.gpu.id))],
    extraSummary: () => ({
      ...disaggSummary({ collector, stats, net, pools, gpusOf, staging, transfer: tr, decodePolicy: decodePolicy?.name ?? 'continuous', pendingTransfers: flights.size, decodeQueue: queue.length }),
      ...kvTiersSummary([...instanceByName.values()], collector.lastFinishS),
    }),
    tierSeries: () => thin([...sink.occupancy, ...stagingSeries, ...kvTierSeries([...instanceByName.values()])]),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** At most ~300 points per tier, for the report. */
export function thin(rows: { tS: number; tier: string; occupancy: number }[]): { tS: number; tier: string; occupancy: number }[] {
  const by = new Map<string, { tS: number; tier: string; occupancy: number }[]>();
  for (const r of rows) {
    let a = by.get(r.tier);
    if (!a) by.set(r.tier, (a = []));
    a.push(r);
  }
  const out: { tS: number; tier: string; occupancy: number }[] = [];
  for (const a of by.values()) {
    const step = Math.max(1, Math.ceil(a.length / 300));
    for (let i = 0; i < a.length; i += step) out.push(a[i]!);
  }
  return out;
}
