/**
 * `pdsim llamacpp-serve --model FILE.gguf --threads 1 --port 8200`: an OpenAI-compatible
 * server (adapters/server: /v1/completions and /v1/chat/completions streamed or not, /v1/models
 * with max_model_len, /health, /version, /metrics with vLLM's names) whose tokens come from
 * llama.cpp (node-llama-cpp, CPU) under pdsim's own continuous-batching step loop (step-loop.ts).
 * `--test-model ID` writes one of the GGUF test models (test-models.ts) first and serves it.
 *
 * Prints `llamacpp serving <name> on http://host:port` once the model is loaded.
 */
import { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { UserError } from '../../src/errors.js';
import { DEFAULT_MODEL_DIR, resolveModel } from './model-file.js';
import { startSimServer, type SimServer } from '../server/server.js';
import { loadEngine, type Engine } from './engine-api.js';
import { StepLoopBackend } from './step-loop.js';
import { warmUpEngine, type WarmupShapes } from './warm-up.js';
import { TEST_MODELS } from './test-models.js';
import { profileServingEngine } from './serve-profile.js';
import { llamacppMessages } from '../../src/messages/llamacpp.js';

export interface LlamaServeOptions {
  model?: string;
  testModel?: string;
  modelDir?: string;
  threads: number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  maxModelLen: number;
  host?: string;
  port?: number;
  servedModelName?: string;
  /** Appends one JSON line per engine iteration here (step-loop.ts StepRecord). */
  stepLog?: string;
  /** Untimed warm-up rounds before listening (warm-up.ts; default 1, 0 = none). */
  warmupRounds?: number;
  /** After the warm-up, profile this engine into this CSV before listening (serve-profile.ts); test models only. */
  profileOut?: string;
  /** With profileOut: the quick plan (profile.ts QUICK_PLAN) instead of the full one. */
  quickProfile?: boolean;
  log?: (line: string) => void;
}

export interface LlamaServer extends SimServer {
  engine: Engine;
  backend: StepLoopBackend;
}

// In their own file so that profile.ts (which serve-profile.ts, imported here, imports) need not import this one.
export { DEFAULT_MODEL_DIR, resolveModel } from './model-file.js';

/** Shapes the server warms up: prompts of 8, 16, ... tokens up to a step's budget, every batch size, KV lengths 32, 128, 256, 512, ... up to the context. */
export function serveWarmupShapes(e: Pick<Engine, 'slots' | 'contextTokens' | 'batchTokens'>): WarmupShapes {
  const prefillTokens: number[] = [];
  for (let n = 8; n <= e.batchTokens; n *= 2) prefillTokens.push(n);
  const decodeKvLens = [32];
  for (let kv = 128; kv < e.contextTokens; kv *= 2) decodeKvLens.push(kv);
  return { prefillTokens, decodeBatches: Array.from({ length: e.slots }, (_, i) => i + 1), decodeKvLens };
}

export async function startLlamaServer(o: LlamaServeOptions): Promise<LlamaServer> {
  const m = resolveModel(o);
  // profileCsv writes the model's shape columns, known only for the test models.
  const spec = o.profileOut === undefined ? undefined : TEST_MODELS[o.testModel ?? ''];
  if (o.profileOut !== undefined && !spec) throw new UserError(llamacppMessages.profileOutNeedsTestModel());
  const engine = await loadEngine({ modelPath: m.path, threads: o.threads, sequences: o.maxNumSeqs, contextTokens: o.maxModelLen, batchTokens: o.maxNumBatchedTokens });
  // Before listening, as vLLM runs dummy batches at start-up: the served passes are then of a warm engine, as the profile's are.
  await warmUpEngine(engine, m.vocab, serveWarmupShapes(engine), o.warmupRounds ?? 1, 0);
  // The profiler warms up its own shapes as well, with the same rounds as the server's (loop.ts passes the bench profile's).
  if (spec) await profileServingEngine(engine, spec, { out: o.profileOut!, quick: o.quickProfile, warmupRounds: o.warmupRounds }, o.log ?? ((l) => process.stderr.write(`${l}\n`)));
  const stepLog = o.stepLog === undefined ? undefined : createWriteStream(o.stepLog, { flags: 'a' });
  const backend = new StepLoopBackend(engine, m.vocab, (e) => o.log?.(`engine error: ${(e as Error).message}`), stepLog && ((r) => void stepLog.write(`${JSON.stringify(r)}\n`)));
  const server = await startSimServer({
    backend,
    modelName: o.servedModelName ?? m.name,
    maxModelLen: engine.contextTokens,
    host: o.host,
    port: o.port,
    version: 'llama.cpp (node-llama-cpp 3.21.1, CPU) + pdsim step loop',
    log: o.log,
  });
  return {
    ...server,
    engine,
    backend,
    close: async () => {
      await server.close();
      await backend.idle();
      await engine.close();
      if (stepLog) await new Promise<void>((r) => stepLog.end(r));
    },
  };
}

const int = (flag: string, min: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UserError(llamacppMessages.integerBelowMin(flag, min, v));
  return n;
};

export function llamaServeCommand(): Command {
  return new Command('llamacpp-serve')
    .description('OpenAI-compatible server over llama.cpp on the CPU (node-llama-cpp) with a continuous-batching step loop')
    .option('--model <file>', 'GGUF model file')
    .option('--test-model <id>', `write and serve a random-weight test model: ${Object.keys(TEST_MODELS).join(', ')}`)
    .option('--model-dir <dir>', 'where --test-model files are written', DEFAULT_MODEL_DIR)
    .option('--threads <n>', 'llama.cpp compute threads', int('--threads', 1), 1)
    .option('--max-num-seqs <n>', 'parallel sequences (vLLM --max-num-seqs)', int('--max-num-seqs', 1), 8)
    .option('--max-num-batched-tokens <n>', 'tokens per engine step (vLLM --max-num-batched-tokens)', int('--max-num-batched-tokens', 1), 512)
    .option('--max-model-len <n>', 'context tokens per sequence', int('--max-model-len', 16), 2048)
    .option('--host <host>', 'bind address', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', int('--port', 0), 8200)
    .option('--served-model-name <name>', 'model name in /v1/models (default: the model id or file name)')
    .option('--step-log <file>', 'append one JSON line per engine iteration (its passes, their shapes and times) to this file')
    .option('--warmup-rounds <n>', 'untimed rounds of every batch size, KV length and prompt size before listening', int('--warmup-rounds', 0), 1)
    .option('--profile-out <file>', 'after the warm-up, profile the serving engine itself into this CSV (llamacpp-profile columns; FILE.timing.json beside it) before listening')
    .option('--quick-profile', 'with --profile-out: fewer shapes and repeats (CI)')
    .option('--quiet', 'no per-request log lines')
    .action(async (o: LlamaServeOptions & { quiet?: boolean }) => {
      const s = await startLlamaServer({ ...o, log: o.quiet ? undefined : (l) => process.stderr.write(`${l}\n`) });
      process.stdout.write(`llamacpp serving ${o.servedModelName ?? resolveModel(o).name} on ${s.url}\n`);
      const stop = (): void => void s.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
