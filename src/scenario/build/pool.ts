/**
 * One pool of engine instances from the scenario: its GPU profile, engine arguments (the scenario's
 * engine under the pool's overrides), KV capacity derived as vLLM derives it, a perf model, and the
 * instances. Impossible pools (a model that does not fit, a KV cache that cannot hold one max-length
 * sequence) are rejected here with the field to fix.
 */
import type { Simulator } from '../../kernel/simulator.js';
import { atPointer, UserError } from '../../errors.js';
import { deriveSizes, type LlmArchitecture } from '../../model/architecture.js';
import { loadGpu, loadLink, loadLlm } from '../../model/catalog.js';
import type { GpuProfile } from '../../model/gpu.js';
import { eagerSteps, engineSetup, type EngineSetup } from '../../perf/engine-setup.js';
import { samplerCost, samplerWork } from '../../perf/sampler.js';
import { withForwardPasses } from '../../perf/forward-passes.js';
import { RooflinePerfModel } from '../../perf/perf-model.js';
import type { Deployment } from '../../serving/deployment.js';
import type { TierOccupancyRow } from '../../serving/kv-tiers.js';
import type { EngineSink } from '../../serving/engine-sink.js';
import { EngineInstance, type InstanceConfig, type InstanceHooks } from '../../serving/instance.js';
import type { DecodeBatchPolicy } from '../../serving/scheduler/decode/index.js';
import { kvCapacity, type KvCapacity } from '../../serving/kv-capacity.js';
import type { RequestSpec } from '../../serving/types.js';
import type { EngineArgs, PoolSpec, Scenario } from '../schema.js';
import type { DeploymentFigures } from '../../metrics/summary-schema.js';
import { scenarioMessages } from '../../messages/scenario.js';

export interface BuildOptions {
  /**
   * Advance decode-only segments, and flows alone on their links, in closed form (identical results;
   * off for real-time serving and for the step-by-step side of differential tests).
   */
  fastForward: boolean;
  /** Per-iteration token callbacks (real-time serving). */
  onTokens?: (spec: RequestSpec, timeS: number, count: number) => void;
  /** Models directory override (tests). */
  modelsDir?: string;
}

export interface BuiltPool {
  spec: PoolSpec;
  index: number;
  gpu: GpuProfile;
  engine: EngineArgs;
  /** What engine.vllmVersion runs on this pool's GPU: generation, precision, step overhead. */
  setup: EngineSetup;
  capacity: KvCapacity;
  instances: EngineInstance[];
}

export interface Built {
  deployment: Deployment;
  arch: LlmArchitecture;
  pools: BuiltPool[];
  /** GPUs whose profiles are not calibrated (the CLI says so). */
  uncalibratedGpus: string[];
  /** Set-ups that run but will not do what they ask (the CLI prints them as `warning:` lines). */
  warnings?: string[];
  /** Figures the deployment adds under summary.pdsim (transfers, links, tiers). */
  extraSummary?: () => DeploymentFigures;
  /** KV occupancy per tier over time, for the report. */
  tierSeries?: () => TierOccupancyRow[];
}

/** Engine args of a pool: top-level engine, then the pool's overrides. */
export function poolEngine(sc: Scenario, pool: PoolSpec): EngineArgs {
  return { ...(sc.engine as EngineArgs), ...(pool.engine ?? {}) } as EngineArgs;
}

/** What a deployment builder adds to each instance of a pool (disaggregation hooks, decode policy). */
export interface PoolExtras {
  hooks?: (instanceName: string) => InstanceHooks;
  decodePolicy?: DecodeBatchPolicy;
}

export function buildPool(sc: Scenario, file: string, pool: PoolSpec, index: number, arch: LlmArchitecture, sim: Simulator, sink: EngineSink, opts: BuildOptions, extras: PoolExtras = {}): BuiltPool {
  const where = `/deployment/pools/${index}`;
  const gpu = atPointer(file, `${where}/gpu`, () => loadGpu(pool.gpu, opts.modelsDir));
  const engine = poolEngine(sc, pool);
  const engineAt = pool.engine && 'vllmVersion' in pool.engine ? `${where}/engine` : '/engine';
  const setup = atPointer(file, '', () => engineSetup({
    gpu, vllmVersion: engine.vllmVersion, asyncScheduling: engine.asyncScheduling, quantization: engine.quantization, kvCacheDtype: engine.kvCacheDtype, dtype: engine.dtype,
    fields: { vllmVersion: `${engineAt}/vllmVersion`, quantization: '/engine/quantization', kvCacheDtype: '/engine/kvCacheDtype', dtype: '/engine/dtype', asyncScheduling: '/engine/asyncScheduling' },
  }));
  // Weight and KV bytes at the engine's precision: KV capacity follows from them.
  const sizes = deriveSizes(arch, { linearWeightBytes: setup.precision.linearWeightBytes, kvBytes: setup.precision.kvBytes });
  const tp = pool.tp;
  if (arch.numHeads % tp !== 0 || arch.numKvHeads % tp !== 0 && tp % arch.numKvHeads !== 0) {
    throw new UserError(scenarioMessages.tpDoesNotDivideHeads(tp, arch.numHeads), file, `${where}/tp`);
  }
  const maxModelLen = engine.maxModelLen ?? arch.maxPositionEmbeddings;
  if (!engine.enableChunkedPrefill && engine.maxNumBatchedTokens < maxModelLen) {
    throw new UserError(scenarioMessages.batchedTokensBelowMaxModelLen(engine.maxNumBatchedTokens, maxModelLen), file, '/engine/maxNumBatchedTokens');
  }
  const capacity = kvCapacity({
    arch, sizes, tp, memGiB: gpu.memGiB, gpuMemoryUtilization: engine.gpuMemoryUtilization,
    maxNumBatchedTokens: engine.maxNumBatchedTokens, maxNumSeqs: engine.maxNumSeqs, blockSizeTokens: engine.blockSize,
    cpuOffloadGiB: engine.cpuOffloadGB, activationReserveGiB: engine.activationReserveGiB,
  });
  const GiB = 2 ** 30;
  const numGpuBlocks = engine.numGpuBlocks ?? capacity.numGpuBlocks;
  if (numGpuBlocks <= 0) {
    throw new UserError(
      scenarioMessages.noRoomForKvCache(arch.id, gpu.id, tp, (capacity.budgetBytes / GiB).toFixed(2), gpu.memGiB, engine.gpuMemoryUtilization, ((capacity.weightBytesPerGpu - capacity.offloadedWeightBytesPerGpu) / GiB).toFixed(2), (capacity.activationReserveBytes / GiB).toFixed(2), sc.deployment.topology?.sharedGpu === true),
      file, `${where}/gpu`);
  }
  if (numGpuBlocks * engine.blockSize < maxModelLen && pool.role !== 'prefill') {
    throw new UserError(scenarioMessages.kvCacheBelowMaxModelLen(numGpuBlocks * engine.blockSize, maxModelLen), file, '/engine/maxModelLen');
  }
  const hostLinkGBps = engine.cpuOffloadGB > 0 ? atPointer(file, '/deployment/topology/hostLink', () => loadLink(sc.deployment.topology?.hostLink ?? gpu.hostLink, opts.modelsDir)).pinnedGBpsPerDirection : undefined;
  // A scenario is served (`vllm serve`): the version's step overhead, and V0's in-process streaming share.
  const perf = withForwardPasses(new RooflinePerfModel(arch, gpu, {
    tp, offloadedWeightBytes: capacity.offloadedWeightBytesPerGpu, hostLinkGBps,
    overhead: setup.overhead, precision: setup.precision, streamingFraction: setup.frontEnd.perTokenFraction,
    eager: eagerSteps(setup, engine.maxNumSeqs, engine.maxNumBatchedTokens),
    ...(sc.workload.sampling ? { sampler: samplerCost(samplerWork(sc.workload.sampling)) } : {}),
  }), gpu);
  const name = pool.name ?? pool.role;
  const instances: EngineInstance[] = [];
  for (let k = 0; k < pool.instances; k++) {
    const cfg: InstanceConfig = {
      name: pool.instances === 1 && sc.deployment.pools.length === 1 ? `${name}0` : `${name}${k}`,
      role: pool.role,
      maxNumSeqs: engine.maxNumSeqs,
      maxNumBatchedTokens: engine.maxNumBatchedTokens,
      blockSizeTokens: engine.blockSize,
      numGpuBlocks,
      maxModelLen,
      enableChunkedPrefill: engine.enableChunkedPrefill,
      enablePrefixCaching: engine.enablePrefixCaching,
      prefillOrder: sc.deployment.policies?.prefill ?? 'fcfs',
      // Every router, token readers included: at any event an instance's state is the step-by-step one
      // (a segment ends at the first iteration boundary at or after the next event; pick-instance.ts).
      fastForward: opts.fastForward,
      decodePolicy: extras.decodePolicy,
      scheduler: setup.behaviour.generation,
      asyncScheduling: setup.asyncScheduling,
    };
    const hooks: InstanceHooks = { ...extras.hooks?.(cfg.name) };
    if (opts.onTokens) hooks.onTokens = (r, t, n) => opts.onTokens!(r.spec, t, n);
    instances.push(new EngineInstance(cfg, sim, perf, sink, hooks));
  }
  return { spec: pool, index, gpu, engine, setup, capacity: { ...capacity, numGpuBlocks }, instances };
}
