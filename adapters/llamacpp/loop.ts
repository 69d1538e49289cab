/**
 * The whole loop against the real engine, as one function (the test and the benchmark run it; the
 * README gives the same steps as CLI commands):
 *   1. profile llama.cpp on this CPU (llamacpp-profile) -> profile.csv and a base device profile;
 *   2. `pdsim calibrate` fits the device profile to it;
 *   3. start `pdsim llamacpp-serve` in its own process;
 *   4. per arrival rate, `pdsim validate` a scenario on that device: simulate, replay live, compare.
 * Everything is written under `workDir`, the catalog included (a copy of models/ that the new
 * device profile goes into), so the repository's models/ is not touched.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCalibrate } from '../../src/cli/commands/calibrate.js';
import { defaultModelsDir } from '../../src/model/catalog.js';
import { spawnCli } from '../testing/child.js';
import { runValidate, type ValidateResult } from '../vllm/validate-run.js';
import { runProfile } from './profile.js';
import { DEFAULT_MODEL_DIR } from './serve.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface LoopOptions {
  testModel: string;
  threads: number;
  workDir: string;
  modelDir?: string;
  quick?: boolean;
  rates: readonly number[];
  requests: number;
  input: { min: number; max: number };
  output: { min: number; max: number };
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  maxModelLen: number;
  report?: boolean;
  log?: (s: string) => void;
}

export interface LoopPoint {
  rate: number;
  dir: string;
  result: ValidateResult;
}

export function loopScenario(o: LoopOptions, deviceId: string, rate: number): Record<string, unknown> {
  return {
    name: `llamacpp-${o.testModel}-${o.threads}t-rate${rate}`,
    seed: 1,
    model: o.testModel,
    engine: {
      maxNumSeqs: o.maxNumSeqs,
      maxNumBatchedTokens: o.maxNumBatchedTokens,
      maxModelLen: o.maxModelLen,
      // The server's KV: maxNumSeqs sequences of maxModelLen tokens each, reported in 16-token blocks.
      blockSize: 16,
      numGpuBlocks: Math.floor((o.maxNumSeqs * o.maxModelLen) / 16),
      enablePrefixCaching: false,
    },
    deployment: { pools: [{ role: 'colocated', gpu: deviceId, instances: 1, tp: 1 }] },
    workload: {
      requests: o.requests,
      arrival: { process: 'poisson', rate },
      input: { dist: 'uniform', min: o.input.min, max: o.input.max },
      output: { dist: 'uniform', min: o.output.min, max: o.output.max },
    },
  };
}

export async function runLoop(o: LoopOptions): Promise<{ deviceId: string; modelsDir: string; points: LoopPoint[] }> {
  const log = o.log ?? (() => {});
  const deviceId = `llamacpp-cpu-${o.threads}t`;
  const modelDir = o.modelDir ?? DEFAULT_MODEL_DIR;
  mkdirSync(o.workDir, { recursive: true });
  const modelsDir = join(o.workDir, 'models');
  rmSync(modelsDir, { recursive: true, force: true });
  cpSync(defaultModelsDir(), modelsDir, { recursive: true });
  const deviceFile = join(modelsDir, 'gpu', `${deviceId}.json`);
  rmSync(deviceFile, { force: true }); // a fresh base profile for this machine, not the committed one

  // 1-2. Profile, then calibrate.
  const csv = join(o.workDir, 'profile.csv');
  await runProfile({ testModel: o.testModel, modelDir, threads: o.threads, out: csv, deviceOut: deviceFile, deviceId, quick: o.quick }, log);
  runCalibrate([csv], { gpu: [deviceId], modelsDir, write: true, command: `pdsim calibrate --gpu ${deviceId} ${csv} --write` }, log);

  // 3. The real engine's server, in its own process (its event loop apart from the client's).
  const server = await spawnCli(
    ['llamacpp-serve', '--test-model', o.testModel, '--model-dir', modelDir, '--threads', String(o.threads), '--port', '0', '--quiet',
      '--max-num-seqs', String(o.maxNumSeqs), '--max-num-batched-tokens', String(o.maxNumBatchedTokens), '--max-model-len', String(o.maxModelLen)],
    180_000,
    MAIN,
  );
  const points: LoopPoint[] = [];
  try {
    // 4. Validate at each rate.
    for (const rate of o.rates) {
      const file = join(o.workDir, `scenario-rate${rate}.json`);
      writeFileSync(file, `${JSON.stringify(loopScenario(o, deviceId, rate), null, 2)}\n`);
      const dir = join(o.workDir, `rate${rate}`);
      const result = await runValidate(file, { out: dir, endpoint: server.url, modelsDir, speed: 1, report: o.report ?? false, log });
      points.push({ rate, dir, result });
    }
  } finally {
    await server.close();
  }
  return { deviceId, modelsDir, points };
}
