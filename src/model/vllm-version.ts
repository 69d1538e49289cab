/**
 * The vLLM version as an input: which engine generation a version (on a given GPU) runs, and the
 * defaults that version applies when the user leaves a knob unset. Every rule cites the engine
 * reference sheet (../shared/reference/vllm-engine-facts.md, "sheet N.M" below), which cites vLLM's
 * source, docs and PRs.
 *
 * Generations: V0 (<= 0.7.x, and 0.8-0.10 where V1 was unsupported, i.e. Turing: sheet 1.1, 6.3)
 * and V1 (>= 0.8 elsewhere; the only engine from 0.11.0). V1 with async scheduling (the scheduler
 * plans step N+1 while N runs, sheet 1.6) is a third behaviour for the overhead model.
 */
import { UserError } from '../errors.js';
import { modelMessages } from '../messages/model.js';

export type EngineGeneration = 'v0' | 'v1';

export interface VllmVersion {
  major: number;
  minor: number;
  patch: number;
  /** As normalised: "0.6.6" for "v0.6.6.post1". */
  text: string;
}

/** The newest version whose behaviour is modelled (the sheet's facts reach v0.30.0: sheet 1.8). */
export const NEWEST_MODELLED_VERSION = '0.30.0';
/** Older than this nothing is modelled (the oldest measurements here are vLLM 0.2 era). */
const OLDEST_MODELLED_VERSION = '0.2.0';

/** Accepts "0.6.6", "v0.6.6", "0.6.6.post1", "0.8.0rc2", "0.11.0+cu128", "0.10.1.1", "0.10" (patch 0). */
export function parseVllmVersion(text: string, field = 'engine.vllmVersion'): VllmVersion {
  // A fourth numeric part exists too (0.10.1.1); it does not change the behaviour modelled.
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:\.\d+)?(?:[.+-]?(?:post|rc|dev|a|b)\d*)*(?:\+[\w.]+)?$/i.exec(text.trim());
  if (!m) throw new UserError(modelMessages.notAVllmVersion(field ? `${field}: ` : '', text));
  const v = { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
  return { ...v, text: `${v.major}.${v.minor}.${v.patch}` };
}

/** Negative, zero or positive as a is older than, equal to or newer than b. */
export function compareVersions(a: VllmVersion, b: VllmVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

const V = (s: string) => parseVllmVersion(s);
const atLeast = (v: VllmVersion, s: string) => compareVersions(v, V(s)) >= 0;

/** What the behaviour needs to know about the GPU. */
export interface GpuFacts {
  name: string;
  memGiB: number;
  /** "8.0", "9.0", "7.5". */
  computeCapability: string;
}

export type AttentionBackend = 'FLASH_ATTN' | 'FLASHINFER' | 'TRITON_ATTN' | 'XFORMERS';

export interface EngineBehaviour {
  version: VllmVersion;
  generation: EngineGeneration;
  /** V1 AsyncScheduler on by default (sheet 1.6: default from v0.12-v0.14; modelled from 0.14.0). */
  asyncScheduling: boolean;
  /** V0 async output processor (v0.6.0, PR #7049, sheet 2): output processing overlaps the next step. */
  asyncOutputProcessing: boolean;
  /** Default of --enable-chunked-prefill (V0 off, auto-on above 32K context from 0.5.4; V1 on: sheet 1.2, 1.3). */
  chunkedPrefill: (maxModelLen: number) => boolean;
  /** Default of --enable-prefix-caching (V0 off, V1 on: sheet 5). */
  prefixCaching: boolean;
  /** Default --gpu-memory-utilization (0.90; 0.92 in the v0.25+ sources: sheet 1.8). */
  gpuMemoryUtilization: number;
  attentionBackend: AttentionBackend;
  /** FlashAttention major version when the backend is FLASH_ATTN (FA3 on sm90 from 0.6.6, sheet 6.2). */
  flashAttentionVersion?: 2 | 3;
  /** Notes for the user (version mapped to a newer/older one, Turing fallback). */
  notes: string[];
}

function ccOf(gpu: GpuFacts): number {
  const cc = Number(gpu.computeCapability);
  return Number.isFinite(cc) ? cc : 8;
}

/** The behaviour of `version` (default: the newest modelled) on `gpu`. */
export function engineBehaviour(versionText: string | undefined, gpu: GpuFacts, field = 'engine.vllmVersion'): EngineBehaviour {
  const notes: string[] = [];
  let v = parseVllmVersion(versionText ?? NEWEST_MODELLED_VERSION, field);
  if (compareVersions(v, V(NEWEST_MODELLED_VERSION)) > 0) {
    notes.push(`vLLM ${v.text} is newer than the newest modelled (${NEWEST_MODELLED_VERSION}); predicting ${NEWEST_MODELLED_VERSION}'s behaviour`);
    v = V(NEWEST_MODELLED_VERSION);
  }
  if (compareVersions(v, V(OLDEST_MODELLED_VERSION)) < 0) {
    throw new UserError(modelMessages.vllmTooOld(field ? `${field}: ` : '', v.text, OLDEST_MODELLED_VERSION));
  }
  const cc = ccOf(gpu);
  const turing = cc < 8;
  // Sheet 1.1: V1 default from 0.8.0; on Turing V1 was unsupported until V0's removal in 0.11.0 (sheet 6.3).
  const generation: EngineGeneration = !atLeast(v, '0.8.0') || (turing && !atLeast(v, '0.11.0')) ? 'v0' : 'v1';
  if (turing && generation === 'v0' && atLeast(v, '0.8.0')) notes.push(`vLLM ${v.text} runs the V0 engine on ${gpu.name} (compute capability ${gpu.computeCapability}: V1 unsupported before 0.11)`);
  let attentionBackend: AttentionBackend;
  // Turing V1: FLASH_ATTN needs sm80, so the next in V1's priority list (FLASH_ATTN, FLASHINFER,
  // TRITON_ATTN: sheet 6.2) wins. FlashInfer (a default dependency of vLLM's CUDA builds by vLLM PR
  // #26859, Oct 2025) accepted sm75 up to 0.23.0 and needs sm80 from 0.24.0 (vllm#47949, PR #45375).
  if (turing) attentionBackend = generation === 'v0' ? 'XFORMERS' : atLeast(v, '0.24.0') ? 'TRITON_ATTN' : 'FLASHINFER';
  else if (generation === 'v1' && cc >= 10) attentionBackend = 'FLASHINFER';
  else attentionBackend = 'FLASH_ATTN';
  const behaviour: EngineBehaviour = {
    version: v,
    generation,
    asyncScheduling: generation === 'v1' && atLeast(v, '0.14.0'),
    asyncOutputProcessing: generation === 'v0' && atLeast(v, '0.6.0'),
    chunkedPrefill: generation === 'v1' ? () => true : (maxModelLen) => atLeast(v, '0.5.4') && maxModelLen > 32768,
    prefixCaching: generation === 'v1',
    gpuMemoryUtilization: atLeast(v, '0.25.0') ? 0.92 : 0.9,
    attentionBackend,
    notes,
  };
  if (attentionBackend === 'FLASH_ATTN') behaviour.flashAttentionVersion = cc >= 9 && cc < 10 && atLeast(v, '0.6.6') ? 3 : 2;
  return behaviour;
}

/** How the engine is driven: `vllm serve` (OpenAI API server) or the offline `LLM` class (`vllm bench latency`). */
export type UsageContext = 'serve' | 'offline';

/**
 * Scheduler limits when the user sets neither (sheet 1.2). V0: 256 sequences; the token budget is
 * max(max_model_len, 2048) without chunked prefill, 2048 with it. V1: by GPU and usage context
 * (>= 70 GiB and not an A100: 8192 serve / 16384 offline with 1024 sequences; otherwise 2048 / 8192
 * with 256); without chunked prefill the budget becomes max(max_model_len, budget); then it is
 * capped at max_num_seqs x max_model_len.
 */
export function batchDefaults(b: EngineBehaviour, gpu: GpuFacts, usage: UsageContext, maxModelLen: number, chunkedPrefill: boolean, maxNumSeqsSet?: number): { maxNumBatchedTokens: number; maxNumSeqs: number } {
  if (b.generation === 'v0') {
    // Early V1 (0.7.x opt-in) raised max_num_seqs to 1024, but V0 itself kept 256 (sheet 1.2).
    const maxNumSeqs = maxNumSeqsSet ?? 256;
    return { maxNumSeqs, maxNumBatchedTokens: chunkedPrefill ? 2048 : Math.max(maxModelLen, 2048) };
  }
  const big = gpu.memGiB >= 70 && !/a100/i.test(gpu.name);
  const maxNumSeqs = maxNumSeqsSet ?? (big ? 1024 : 256);
  let budget = usage === 'offline' ? (big ? 16384 : 8192) : big ? 8192 : 2048;
  if (!chunkedPrefill) budget = Math.max(maxModelLen, budget);
  return { maxNumSeqs, maxNumBatchedTokens: Math.min(budget, maxNumSeqs * maxModelLen) };
}
