/**
 * Steps that run without CUDA graphs. A graph replays a step's kernels with one launch; without
 * one, the CPU launches every kernel of every layer, and a step whose GPU work is shorter than
 * those launches waits for them. Which steps (sheet 1.7 of ../shared/reference/vllm-engine-facts.md):
 * - V1 captures sizes up to min(2 x max_num_seqs, 512), capped at max_num_batched_tokens
 *   (`_set_cudagraph_sizes`); a step with more tokens runs the torch.compile'd model without a
 *   graph. vllm#56975 shows the signature: every slow step carries prefill tokens and runs outside
 *   the graphs. Only steps with prompt tokens are priced so (a decode-only step above the size needs
 *   more than 512 running sequences; left out, so a decode step stays affine in its context).
 * - V0 captures decode batches only: every step with a prompt runs eager.
 * The launch time per layer, measured in vLLM PR #10058 (benchmark_latency, OPT-125M, 12 layers,
 * batch 8, 32 in / 128 out = 128 forward passes, a model whose GPU work is negligible): V1 with
 * torch.compile 0.41 s without piecewise graphs vs 0.21 s with them = 0.130 ms per layer per step;
 * V0 0.47 s without graphs vs 0.21 s with = 0.169 ms per layer. The launches overlap the GPU's
 * execution of the kernels already launched, so an eager step costs max(its layers' GPU time,
 * layers x launch time): only the excess is added.
 */
import type { EngineGeneration } from '../model/vllm-version.js';

export interface EagerStepModel {
  generation: EngineGeneration;
  /** V1: the largest captured step, tokens. */
  maxGraphTokens: number;
  /** CPU launch time of one decoder layer without a graph, ms. */
  launchPerLayerMs: number;
}

const FORWARD_PASSES = 128;
const OPT125M_LAYERS = 12;
/** PR #10058's table: V1 (torch.compile) and V0 seconds without and with CUDA graphs. */
export const V1_EAGER_LAUNCH_PER_LAYER_MS = ((0.41 - 0.21) * 1000) / FORWARD_PASSES / OPT125M_LAYERS;
export const V0_EAGER_LAUNCH_PER_LAYER_MS = ((0.47 - 0.21) * 1000) / FORWARD_PASSES / OPT125M_LAYERS;
/** V1's cap on the largest captured size (sheet 1.7). */
export const V1_MAX_CAPTURE_TOKENS = 512;

/** The eager-step model of an engine with these scheduler limits. */
export function eagerStepModel(generation: EngineGeneration, maxNumSeqs: number, maxNumBatchedTokens: number): EagerStepModel {
  if (generation === 'v0') return { generation, maxGraphTokens: 0, launchPerLayerMs: V0_EAGER_LAUNCH_PER_LAYER_MS };
  return { generation, maxGraphTokens: Math.min(2 * maxNumSeqs, V1_MAX_CAPTURE_TOKENS, maxNumBatchedTokens), launchPerLayerMs: V1_EAGER_LAUNCH_PER_LAYER_MS };
}

/** Whether a step of `tokens` new tokens, `prefillSeqs` of them in prompt chunks, runs without a graph. */
export function runsEager(m: EagerStepModel, tokens: number, prefillSeqs: number): boolean {
  if (prefillSeqs === 0) return false;
  return m.generation === 'v0' || tokens > m.maxGraphTokens;
}

/** What an eager step adds to its layers' GPU time `layersMs` over `numLayers` layers, ms. */
export function eagerExcessMs(m: EagerStepModel, numLayers: number, layersMs: number): number {
  return Math.max(0, numLayers * m.launchPerLayerMs - layersMs);
}
