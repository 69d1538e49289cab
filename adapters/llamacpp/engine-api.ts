/**
 * The real engine: node-llama-cpp (llama.cpp's prebuilt CPU binaries), loaded from its own package
 * folder adapters/llamacpp/engine/ so that pdsim's default install does not carry its ~730 MB.
 * Only the few calls pdsim uses are typed here (the package's own .d.ts are in that folder, which
 * `tsc` for pdsim does not see when it is not installed).
 *
 * The one evaluation primitive is `step()`: every scheduled sequence's tokens go to llama.cpp in
 * ONE batch (one llama_decode), as a serving engine's iteration does. node-llama-cpp collects all
 * items queued before its next event-loop cycle into a batch ("nextCycle" dispatch), so the
 * controlledEvaluate calls are all issued synchronously and awaited together; awaiting each
 * sequence in turn (or its evaluate() generators under Promise.all) would not batch.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../../src/errors.js';
import { packageRoot } from '../../src/package-files.js';
import { llamacppMessages } from '../../src/messages/llamacpp.js';
import { importExternal } from '../../src/io/import-external.js';

// From the package root, not this module's URL: in the bundle this code runs from dist/chunks/.
export const ENGINE_DIR = join(packageRoot(), 'adapters', 'llamacpp', 'engine');
const ENTRY = join(ENGINE_DIR, 'node_modules', 'node-llama-cpp', 'dist', 'index.js');

type ControlledItem = number | [number, { generateNext?: { token?: boolean } }];
interface Sequence {
  controlledEvaluate(input: ControlledItem[]): Promise<({ next: { token?: number | null } } | undefined)[]>;
  clearHistory(): Promise<void>;
  eraseContextTokenRanges(ranges: { start: number; end: number }[]): Promise<void>;
  readonly nextTokenIndex: number;
}
interface Context {
  readonly contextSize: number;
  readonly batchSize: number;
  getSequence(): Sequence;
  dispose(): Promise<void>;
}
interface Model {
  createContext(o: { sequences: number; contextSize: number; batchSize: number; threads: { ideal: number; min: number }; flashAttention?: boolean }): Promise<Context>;
  dispose(): Promise<void>;
}
interface Llama {
  loadModel(o: { modelPath: string; gpuLayers: number }): Promise<Model>;
  dispose(): Promise<void>;
}
interface NodeLlamaCpp {
  getLlama(o: { gpu: false; build: 'never'; logLevel: 'error' | 'warn'; maxThreads: number }): Promise<Llama>;
}

export function engineInstalled(): boolean {
  return existsSync(ENTRY);
}

export const INSTALL_HINT = 'npm ci --prefix adapters/llamacpp/engine';

export interface EngineOptions {
  modelPath: string;
  /** llama.cpp compute threads (set explicitly: its default is every core). */
  threads: number;
  /** Parallel sequences = max running requests (vLLM --max-num-seqs). */
  sequences: number;
  /** KV capacity per sequence, tokens (the served max_model_len). */
  contextTokens: number;
  /** Tokens per llama_decode call (vLLM --max-num-batched-tokens). */
  batchTokens: number;
  /**
   * llama.cpp flash attention; default on: its CPU kernel skips masked KV cells, so each sequence of
   * a batch attends over its own KV only (off, all pay for the longest one's; docs/live.md section 4).
   */
  flashAttention?: boolean;
}

/** One item of a step: tokens to append to a sequence's KV; `sample` draws the next token after the last. */
export interface StepItem {
  slot: number;
  tokens: readonly number[];
  sample: boolean;
}

export interface Engine {
  readonly slots: number;
  readonly contextTokens: number;
  readonly batchTokens: number;
  /** One batched forward pass; the sampled token per item (null where not sampled). */
  step(items: readonly StepItem[]): Promise<(number | null)[]>;
  /** Frees a slot's KV (the request finished or was aborted). */
  reset(slot: number): Promise<void>;
  /** Drops a slot's KV past its first `keep` tokens (the profiler undoes its timed decode steps). */
  truncate(slot: number, keep: number): Promise<void>;
  close(): Promise<void>;
}

export async function loadEngine(o: EngineOptions): Promise<Engine> {
  if (!engineInstalled()) throw new UserError(llamacppMessages.nodeLlamaCppMissing(INSTALL_HINT));
  if (!existsSync(o.modelPath)) throw new UserError(llamacppMessages.modelFileNotFound(), o.modelPath);
  const lib = await importExternal<NodeLlamaCpp>(pathToFileURL(ENTRY).href);
  const llama = await lib.getLlama({ gpu: false, build: 'never', logLevel: 'error', maxThreads: o.threads });
  const model = await llama.loadModel({ modelPath: o.modelPath, gpuLayers: 0 });
  const ctx = await model.createContext({
    sequences: o.sequences,
    contextSize: o.contextTokens,
    batchSize: o.batchTokens,
    threads: { ideal: o.threads, min: o.threads },
    flashAttention: o.flashAttention ?? true,
  });
  const seqs = Array.from({ length: o.sequences }, () => ctx.getSequence());
  return {
    slots: o.sequences,
    contextTokens: ctx.contextSize,
    batchTokens: ctx.batchSize,
    async step(items) {
      // Issued synchronously, awaited together: one batch (see the module comment).
      const pending = items.map((it) => {
        const input: ControlledItem[] = it.tokens.map((t, i) => (it.sample && i === it.tokens.length - 1 ? [t, { generateNext: { token: true } }] : t));
        return seqs[it.slot]!.controlledEvaluate(input);
      });
      const outs = await Promise.all(pending);
      return outs.map((out, i) => (items[i]!.sample ? (out[items[i]!.tokens.length - 1]?.next.token ?? null) : null));
    },
    reset: (slot) => seqs[slot]!.clearHistory(),
    truncate: (slot, keep) => seqs[slot]!.eraseContextTokenRanges([{ start: keep, end: seqs[slot]!.nextTokenIndex }]),
    async close() {
      await ctx.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}
