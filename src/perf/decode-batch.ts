/**
 * The optional decode batch-shape term (`perf.decodeBatchMs`, a device profile's table): ms added
 * to a forward pass by how many of its sequences compute one token (b = 1..table length; entry
 * b - 1). Absent, or b beyond the table, adds nothing, so a profile without it prices as before.
 *
 * Why a table of additive ms per batch size, not a factor or a curve (llama.cpp on a CPU, 1
 * thread, one KV stream per sequence, where `pdsim calibrate` fits it from profile rows at b 1..8):
 * - what varies with b besides the roofline's smooth terms is fixed per pass, not per KV token: the
 *   F16 matmuls run the batch's columns in register tiles (llamafile/ggml kernels), so the weights
 *   are streamed once per tile of columns and cost steps in b; each sequence's KV stream is its own
 *   view, mask and attention call (per-sequence set-up); sampling reads each sequence's logits;
 * - the KV-dependent work (attention reading every cached K and V) is linear in KV and already the
 *   attention term's; a multiplicative factor would scale that slope too, an additive one keeps a
 *   decode step affine in its total context (the engine's decode fast path relies on it);
 * - thread sync (ggml's per-node barrier) does not depend on b, and with 1 thread it is nothing;
 * - a table, because tile steps are not a smooth function of b and the profile samples every b.
 */

/** The term's ms for a pass with `decodeSeqs` one-token sequences (0 without a table, or beyond it). */
export function decodeBatchMs(table: readonly number[] | undefined, decodeSeqs: number): number {
  if (table === undefined || decodeSeqs < 1) return 0;
  return table[decodeSeqs - 1] ?? 0;
}
