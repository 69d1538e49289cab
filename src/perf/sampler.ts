/**
 * GPU time of vLLM V1's sampler in one step: passes over the (sampled rows x vocabulary) logits
 * that the LM head produced. A 0.5B model's decode step is a few ms, and a Qwen vocabulary of
 * 151,936 logits per row makes every pass over them cost about as much per sequence as the
 * sequence's attention, so the sampling parameters requests run with change TPOT.
 *
 * Bytes per logit, counted from vLLM's V1 sampler source (vllm/v1/sample/sampler.py,
 * vllm/v1/sample/ops/penalties.py, vllm/model_executor/layers/utils.py apply_penalties,
 * vllm/v1/sample/ops/topk_topp_sampler.py; the penalty code is the same from V0 to 2026):
 * - always: `logits.to(torch.float32)` (model-dtype read 2 B, fp32 write 4 B): 6 B, 1 kernel.
 * - greedy (temperature 0): argmax reads the row: 4 B, 1 kernel.
 * - any penalty set (repetition != 1, frequency or presence != 0; also from the model's
 *   generation_config, which `vllm serve` applies to requests that leave them unset): two
 *   token-count tables (B, V+1) int64 rebuilt every step (zeros: write 8; `> 0` mask: read 8,
 *   write 1; for prompt and output tokens: 34 B), the repetition kernel (two masks and the logit
 *   read: 6 B), `logits -= f * counts` (int64 x float -> fp32 temporary: 12 B; in-place subtract:
 *   12 B) and `logits -= p * mask` (5 B + 12 B): 81 B, 11 kernels (2 zeros, 2 scatter_add, 2
 *   compares, repetition, 2 x (multiply, subtract)). The scatters touch only the tokens.
 * - random sampling: temperature `logits.div_(t)`: 8 B, 1 kernel; then either
 *   - no top-k/top-p: softmax (reads the row for max, sum and output, writes it: 16 B),
 *     exponential noise (write 4 B), probs / q (read 8, write 4) and argmax (4 B): 36 B, 4 kernels;
 *   - top-k and/or top-p: FlashInfer's top_k_top_p_sampling_from_logits, vLLM's default from
 *     PR #40376 (and available on Turing in 0.23.0: its FlashInfer floor was sm75, vllm#47949).
 *     Measured in PR #40376's table (B200, vocab 131,072, top-k + top-p on every row): 0.199 ms at
 *     64 rows, 0.267 ms at 128, so 1.06 us per extra row = 65 B per logit at the B200's 8 TB/s
 *     datasheet bandwidth. That figure is bandwidth-equivalent (its kernels' own efficiency is in
 *     it), so it is divided by the datasheet bandwidth alone; 3 kernels (top-k mask, softmax,
 *     top-p rejection sampling). Earlier V1 releases used a sorting PyTorch path or a Triton kernel
 *     (1.5-5x FlashInfer's time in the same table): not distinguished.
 * Elementwise bytes move at the GPU's elementwise memory efficiency; every kernel costs the
 * profile's elementwise launch time (the sampler runs outside CUDA graphs).
 */

/** The sampling parameters every request runs with (after the server's generation-config defaults). */
export interface SamplingParams {
  /** 0 = greedy. */
  temperature?: number;
  /** 0 or -1 = off. */
  topK?: number;
  /** 1 = off. */
  topP?: number;
  repetitionPenalty?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
}

/** What the sampler does each step, as its cost depends on it. */
export interface SamplerWork {
  random: boolean;
  topKTopP: boolean;
  penalties: boolean;
}

/** Cost of the sampler per logit and per step. */
export interface SamplerCost {
  /** Bytes moved per logit at the elementwise memory efficiency. */
  bytesPerLogit: number;
  /** Bandwidth-equivalent bytes per logit at the datasheet bandwidth (measured kernels). */
  peakBytesPerLogit: number;
  kernels: number;
}

export const CAST_BYTES = 6;
export const GREEDY_BYTES = 4;
export const PENALTY_BYTES = 81;
export const PENALTY_KERNELS = 11;
export const TEMPERATURE_BYTES = 8;
export const RANDOM_SAMPLE_BYTES = 36;
export const RANDOM_SAMPLE_KERNELS = 4;
/** PR #40376: (0.267 - 0.199) ms / 64 rows / 131,072 logits x 8 TB/s. */
export const FLASHINFER_TOPK_TOPP_PEAK_BYTES = (((0.267 - 0.199) / 64 / 131072) * 8e12) / 1000;
export const FLASHINFER_TOPK_TOPP_KERNELS = 3;

/** vLLM's SamplingParams rules: temperature below 1e-5 is greedy (top-k/top-p reset); penalties at their neutral values are skipped. */
export function samplerWork(p: SamplingParams): SamplerWork {
  const random = (p.temperature ?? 1) >= 1e-5;
  const topK = p.topK ?? 0;
  const topP = p.topP ?? 1;
  const topKTopP = random && ((topK > 0) || topP < 1);
  const penalties = (p.repetitionPenalty ?? 1) !== 1 || (p.frequencyPenalty ?? 0) !== 0 || (p.presencePenalty ?? 0) !== 0;
  return { random, topKTopP, penalties };
}

export function samplerCost(w: SamplerWork): SamplerCost {
  let bytesPerLogit = CAST_BYTES;
  let peakBytesPerLogit = 0;
  let kernels = 1;
  if (w.penalties) {
    bytesPerLogit += PENALTY_BYTES;
    kernels += PENALTY_KERNELS;
  }
  if (!w.random) {
    bytesPerLogit += GREEDY_BYTES;
    kernels += 1;
  } else {
    bytesPerLogit += TEMPERATURE_BYTES;
    kernels += 1;
    if (w.topKTopP) {
      peakBytesPerLogit += FLASHINFER_TOPK_TOPP_PEAK_BYTES;
      kernels += FLASHINFER_TOPK_TOPP_KERNELS;
    } else {
      bytesPerLogit += RANDOM_SAMPLE_BYTES;
      kernels += RANDOM_SAMPLE_KERNELS;
    }
  }
  return { bytesPerLogit, peakBytesPerLogit, kernels };
}

/** GPU rates the sampler needs (a GPU profile's datasheet bandwidth and elementwise parameters). */
export interface SamplerRates {
  hbmBytesPerMs: number;
  elementwiseEfficiency: number;
  launchUs: number;
}

/** Sampler time of one step with `rows` sampled rows over a `vocab`-wide vocabulary (per GPU). Affine in rows. */
export function samplerMs(c: SamplerCost, r: SamplerRates, rows: number, vocab: number): number {
  if (rows <= 0) return 0;
  const logits = rows * vocab;
  return (logits * c.bytesPerLogit) / (r.hbmBytesPerMs * r.elementwiseEfficiency) + (logits * c.peakBytesPerLogit) / r.hbmBytesPerMs + (c.kernels * r.launchUs) / 1000;
}
