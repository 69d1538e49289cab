/**
 * From what a user runs (vLLM version, quantization flags, GPU, TP) to what the perf model needs:
 * the engine behaviour, the weight/KV precision and the per-step overhead coefficients. `perf`,
 * `latency` and the scenario builder all go through here, so one input gives one iteration time.
 */
import type { GpuProfile } from '../model/gpu.js';
import { resolvePrecision, type KvCacheDtype, type ModelDtype, type Precision, type WeightQuantization } from '../model/quantization.js';
import { engineBehaviour, type EngineBehaviour } from '../model/vllm-version.js';
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
  regime: OverheadRegime;
  overhead: StepOverheadCoefficients;
  notes: string[];
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
  const regime = overheadRegime(behaviour.generation, { asyncScheduling, asyncOutputProcessing: behaviour.asyncOutputProcessing });
  return { behaviour, asyncScheduling, precision, regime, overhead: overheadCoefficients(regime), notes };
}
