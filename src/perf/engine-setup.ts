/**
 * From what a user runs (vLLM version, quantization flags, GPU, TP) to what the perf model needs:
 * the engine behaviour, the weight/KV precision and the per-step overhead coefficients. `perf`,
 * `latency` and the scenario builder all go through here, so one input gives one iteration time.
 */
import type { GpuProfile } from '../model/gpu.js';
import { resolvePrecision, type KvCacheDtype, type ModelDtype, type Precision, type WeightQuantization } from '../model/quantization.js';
import { engineBehaviour, type EngineBehaviour } from '../model/vllm-version.js';
import { eagerStepModel, type EagerStepModel } from './eager-step.js';
import { frontEndCost, type FrontEndCost } from './front-end.js';
import { overheadCoefficients, overheadRegime, type OverheadRegime, type StepOverheadCoefficients } from './step-overhead.js';

export interface EngineSetupInput {
  gpu: GpuProfile;
  vllmVersion?: string;
  /** --async-scheduling / --no-async-scheduling; absent: the version's default. */
  asyncScheduling?: boolean;
  quantization?: WeightQuantization;
  kvCacheDtype?: KvCacheDtype;
  dtype?: ModelDtype;
  /** Names of the fields in the user's input, for error messages (flags or JSON pointers). */
  fields?: Partial<Record<'vllmVersion' | 'quantization' | 'kvCacheDtype' | 'dtype' | 'asyncScheduling', string>>;
}

export interface EngineSetup {
  behaviour: EngineBehaviour;
  asyncScheduling: boolean;
  precision: Precision;
  /** 'profile' when the device profile was fitted on a live engine's whole iterations (its own step overhead). */
  regime: OverheadRegime | 'profile';
  overhead: StepOverheadCoefficients;
  /** The served front end (src/perf/front-end.ts); none for an engine profiled end to end. */
  frontEnd: FrontEndCost;
  notes: string[];
}

/**
 * A device profile fitted on whole iterations of a live engine (`pdsim calibrate` on a profiler
 * CSV of, e.g., llama.cpp: adapters/llamacpp) already holds that engine's per-step CPU cost in its
 * cpuOverhead, and its validation runs go through that engine's own server: the vLLM overhead model
 * and front end do not apply to it.
 */
export function profiledEngineOverhead(gpu: GpuProfile): StepOverheadCoefficients | undefined {
  const fitted = (gpu.provenance as { fitted?: unknown } | undefined)?.fitted;
  if (!Array.isArray(fitted) || !fitted.includes('cpuOverhead (whole iterations)')) return undefined;
  return { baseMs: gpu.perf.cpuOverhead.baseMs, perSeqMs: gpu.perf.cpuOverhead.perSeqMs, tpMs: 0 };
}

export function engineSetup(i: EngineSetupInput): EngineSetup {
  const f = { vllmVersion: 'engine.vllmVersion', quantization: 'engine.quantization', kvCacheDtype: 'engine.kvCacheDtype', dtype: 'engine.dtype', asyncScheduling: 'engine.asyncScheduling', ...i.fields };
  const behaviour = engineBehaviour(i.vllmVersion, i.gpu, f.vllmVersion);
  const notes = [...behaviour.notes];
  let asyncScheduling = behaviour.asyncScheduling;
  if (i.asyncScheduling !== undefined) {
    if (i.asyncScheduling && behaviour.generation === 'v0') notes.push(`${f.asyncScheduling}: async scheduling is a V1 feature; vLLM ${behaviour.version.text} runs V0 here, so it is ignored`);
    else asyncScheduling = i.asyncScheduling;
  }
  const precision = resolvePrecision({ quantization: i.quantization, kvCacheDtype: i.kvCacheDtype, dtype: i.dtype }, i.gpu, behaviour.version, f);
  const profiled = profiledEngineOverhead(i.gpu);
  if (profiled) return { behaviour, asyncScheduling, precision, regime: 'profile', overhead: profiled, frontEnd: { requestMs: 0, perTokenFraction: 0 }, notes };
  const regime = overheadRegime(behaviour.generation, { asyncScheduling, asyncOutputProcessing: behaviour.asyncOutputProcessing });
  return { behaviour, asyncScheduling, precision, regime, overhead: overheadCoefficients(regime), frontEnd: frontEndCost(behaviour.generation), notes };
}

/**
 * Which steps run without CUDA graphs (src/perf/eager-step.ts) for an engine with these scheduler
 * limits; none for an engine profiled end to end (its profile holds its own launch costs).
 */
export function eagerSteps(setup: EngineSetup, maxNumSeqs: number, maxNumBatchedTokens: number): EagerStepModel | undefined {
  return setup.regime === 'profile' ? undefined : eagerStepModel(setup.behaviour.generation, maxNumSeqs, maxNumBatchedTokens);
}
