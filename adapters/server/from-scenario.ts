/**
 * `pdsim serve` wiring: scenario -> engine-backed backend -> OpenAI-compatible server. Kept out of
 * the CLI module so tests start the very same server without going through commander.
 */
import { loadLlm } from '../../src/model/catalog.js';
import { deriveSizes } from '../../src/model/architecture.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { FaultOptions } from './faults.js';
import { startSimServer, type SimServer } from './server.js';
import { createSimBackend } from './sim-backend.js';
import { loadTokenizer } from './tokenizer-real.js';

export interface ServeOptions {
  host?: string;
  port?: number;
  /** Scenario overrides, `path=value`. */
  set?: readonly string[];
  seed?: number;
  speed?: number;
  /** Served model name; default: the model's Hugging Face id, as `vllm serve <hfId>` would report. */
  modelName?: string;
  apiKey?: string;
  maxBodyBytes?: number;
  faults?: FaultOptions;
  /** Decode-side KV pull bandwidth for P/D requests, GB/s. */
  kvPullGBps?: number;
  log?: (line: string) => void;
}

export interface ScenarioServer extends SimServer {
  modelName: string;
  maxModelLen: number;
  scenarioName: string;
  /** Which tokenizer counts text prompts (real, or approximate). */
  tokenizerDescription: string;
}

export async function startScenarioServer(file: string, o: ServeOptions = {}): Promise<ScenarioServer> {
  const loaded = loadScenario(file, o.set ?? []);
  const backend = createSimBackend(loaded, { seed: o.seed, speed: o.speed });
  const arch = loadLlm(loaded.scenario.model);
  const modelName = o.modelName ?? arch.hfId;
  const tokenizer = await loadTokenizer(loaded.scenario.model);
  const server = await startSimServer({
    backend,
    modelName,
    maxModelLen: backend.maxModelLen,
    host: o.host,
    port: o.port,
    apiKey: o.apiKey,
    maxBodyBytes: o.maxBodyBytes,
    faults: o.faults,
    version: 'pdsim-sim',
    kvBytesPerToken: deriveSizes(arch).kvBytesPerToken / backend.built.pools[0]!.spec.tp,
    kvPullGBps: o.kvPullGBps,
    tokenizer,
    log: o.log,
  });
  return { ...server, modelName, maxModelLen: backend.maxModelLen, scenarioName: loaded.scenario.name, tokenizerDescription: tokenizer.description };
}
