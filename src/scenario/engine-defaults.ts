/**
 * Fills the engine knobs whose vLLM defaults depend on the version and the GPU (token budget,
 * max_num_seqs, chunked prefill, prefix caching, gpu_memory_utilization, async scheduling), so
 * scenario.resolved.json shows what vLLM `engine.vllmVersion` would run with (`vllm serve`
 * defaults: a scenario is a served deployment). Also checks the precision flags against each
 * pool's GPU (fp8 on Turing before Marlin reached it, bf16 on Turing, ...). Runs at load, after
 * schema validation; a pool whose GPU resolves to other defaults than the first pool's gets them
 * in its own `engine` overrides.
 */
import { atPointer, UserError } from '../errors.js';
import { loadGpu, loadLlm } from '../model/catalog.js';
import { resolvePrecision } from '../model/quantization.js';
import { batchDefaults, engineBehaviour, NEWEST_MODELLED_VERSION } from '../model/vllm-version.js';
import type { EngineArgs, Scenario, VersionDefaulted } from './schema.js';

type Defaults = Pick<EngineArgs, VersionDefaulted>;

function poolDefaults(sc: Scenario, file: string, index: number, given: Partial<EngineArgs>, maxPositions: number | undefined, modelsDir?: string): { d: Defaults; notes: string[] } {
  const pool = sc.deployment.pools[index]!;
  const where = pool.engine && 'vllmVersion' in pool.engine ? `/deployment/pools/${index}/engine/vllmVersion` : '/engine/vllmVersion';
  const vllmVersion = given.vllmVersion ?? NEWEST_MODELLED_VERSION;
  let gpu: { id: string; name: string; memGiB: number; computeCapability: string; fp8Tflops: number | null };
  try {
    gpu = loadGpu(pool.gpu, modelsDir);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    // The builder reports the unknown GPU at its pointer; the generic defaults hold until then.
    gpu = { id: pool.gpu, name: pool.gpu, memGiB: 0, computeCapability: '8.0', fp8Tflops: null };
  }
  const b = atPointer(file, where, () => engineBehaviour(vllmVersion, gpu, ''));
  const eng = { ...given };
  atPointer(file, '', () => resolvePrecision({ quantization: eng.quantization, kvCacheDtype: eng.kvCacheDtype, dtype: eng.dtype }, gpu, b.version, {
    quantization: '/engine/quantization', kvCacheDtype: '/engine/kvCacheDtype', dtype: '/engine/dtype',
  }));
  const maxModelLen = given.maxModelLen ?? maxPositions ?? 2048;
  const enableChunkedPrefill = given.enableChunkedPrefill ?? b.chunkedPrefill(maxModelLen);
  const limits = batchDefaults(b, gpu, 'serve', maxModelLen, enableChunkedPrefill, given.maxNumSeqs);
  const asyncScheduling = b.generation === 'v1' ? given.asyncScheduling ?? b.asyncScheduling : false;
  const notes = [...b.notes];
  const caching = given.enablePrefixCaching ?? b.prefixCaching;
  if (b.generation === 'v0' && (caching || (given.enableChunkedPrefill ?? false) || (given.kvOffloadingGiB ?? 0) > 0)) {
    notes.push(`vLLM ${b.version.text} runs V0 here; with prefix caching, chunked prefill or a KV tier its batches are formed as V1 forms them (src/serving/scheduler/v0.ts), the overhead stays V0's`);
  }
  return {
    d: {
      vllmVersion,
      maxNumSeqs: limits.maxNumSeqs,
      maxNumBatchedTokens: given.maxNumBatchedTokens ?? limits.maxNumBatchedTokens,
      gpuMemoryUtilization: given.gpuMemoryUtilization ?? b.gpuMemoryUtilization,
      enableChunkedPrefill,
      enablePrefixCaching: given.enablePrefixCaching ?? b.prefixCaching,
      asyncScheduling,
    },
    notes,
  };
}

/** Resolves the version-dependent defaults in place; returns notes for the user. */
export function resolveEngineDefaults(sc: Scenario, file: string, modelsDir?: string): string[] {
  const top = (sc.engine ??= {} as EngineArgs) as Partial<EngineArgs>;
  const userTop: Partial<EngineArgs> = { ...top };
  let maxPositions: number | undefined;
  try {
    maxPositions = loadLlm(sc.model, modelsDir).maxPositionEmbeddings;
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
  }
  const notes = new Set<string>();
  sc.deployment.pools.forEach((pool, i) => {
    const given = { ...userTop, ...(pool.engine ?? {}) } as Partial<EngineArgs>;
    const { d, notes: n } = poolDefaults(sc, file, i, given, maxPositions, modelsDir);
    for (const x of n) notes.add(x);
    if (i === 0) {
      Object.assign(top, { ...d, ...userTop });
      return;
    }
    const resolvedTop = top as EngineArgs;
    const overrides: Partial<Record<VersionDefaulted, unknown>> = {};
    for (const k of Object.keys(d) as VersionDefaulted[]) {
      if (given[k] === undefined && d[k] !== resolvedTop[k]) overrides[k] = d[k];
    }
    if (Object.keys(overrides).length > 0) pool.engine = { ...(pool.engine ?? {}), ...overrides } as typeof pool.engine;
  });
  return [...notes];
}
