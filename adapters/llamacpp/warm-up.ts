/**
 * Warm-up passes for an engine that has just loaded its model: every shape of a plan run once,
 * untimed, before anything is measured or served. A fresh process runs its first minute of passes
 * slower: a full profile taken right after the model load cost 12-15 % more CPU time than the same
 * profile repeated in the same process, the second and third agreeing within 2 %
 * (`npm run bench:llamacpp-repeat`, docs/accuracy-live.md "cold profile"), while its page faults
 * fell from ~190k to ~3k. The profiler warms up before its timed rounds (profile.ts) and
 * `llamacpp-serve` before it listens, as vLLM runs dummy batches at start-up, so the profile and
 * the served passes are both of a warm engine.
 */
import type { Engine } from './engine-api.js';
import { promptFor } from './step-loop.js';

export interface WarmupShapes {
  prefillTokens: readonly number[];
  decodeBatches: readonly number[];
  decodeKvLens: readonly number[];
}

/** Appends `tokens` to `slot`'s KV in chunks the engine accepts (untimed). */
export async function fill(e: Engine, slot: number, tokens: readonly number[]): Promise<void> {
  for (let i = 0; i < tokens.length; i += e.batchTokens) await e.step([{ slot, tokens: tokens.slice(i, i + e.batchTokens), sample: false }]);
}

/**
 * `rounds` untimed rounds: each prompt size in `promptSlot`, then, KV lengths ascending, slots
 * 0..maxBatch-1 extended to kv - 1 tokens and each batch size stepped twice (undone after each
 * step), as the profiler times them. Prompts run before the decodes, so `promptSlot` may be one of
 * those slots. Shapes the engine cannot hold are skipped; every slot used is reset at the end.
 */
export async function warmUpEngine(e: Engine, vocab: number, shapes: WarmupShapes, rounds: number, promptSlot: number): Promise<void> {
  if (rounds <= 0) return;
  const sizes = shapes.prefillTokens.filter((n) => n <= e.batchTokens && n <= e.contextTokens);
  const batches = shapes.decodeBatches.filter((b) => b <= e.slots);
  const maxB = Math.max(0, ...batches);
  const kvs = shapes.decodeKvLens.filter((kv) => kv + 1 <= e.contextTokens);
  const held = new Array<number>(maxB).fill(0);
  for (let w = 0; w < rounds; w++) {
    // When promptSlot is a decode slot too, a later round finds it holding KV: empty it (prompts start from an empty slot), and the KV loop refills it.
    if (held[promptSlot] !== undefined && held[promptSlot]! > 0) {
      await e.reset(promptSlot);
      held[promptSlot] = 0;
    }
    for (const n of sizes) {
      await e.step([{ slot: promptSlot, tokens: promptFor(10_000 + w, n, vocab), sample: true }]);
      await e.reset(promptSlot);
    }
    for (const kv of kvs) {
      for (let s = 0; s < maxB; s++) {
        if (held[s]! > kv - 1) await e.truncate(s, kv - 1);
        else if (held[s]! < kv - 1) await fill(e, s, promptFor(s + 1, kv - 1, vocab).slice(held[s]!));
        held[s] = kv - 1;
      }
      for (const b of batches) {
        const items = Array.from({ length: b }, (_, s) => ({ slot: s, tokens: [300 + w], sample: true }));
        for (let k = 0; k < 2; k++) {
          await e.step(items);
          for (let s = 0; s < b; s++) await e.truncate(s, kv - 1);
        }
      }
    }
  }
  for (let s = 0; s < maxB; s++) await e.reset(s);
}
