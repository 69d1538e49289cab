/**
 * `pdsim serve SCENARIO`: an OpenAI-compatible server (vLLM's endpoints, SSE format and metric
 * names) whose timing is the scenario's simulated deployment running in real time. The stand-in
 * for vLLM when testing the live path; see docs/live.md.
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { startScenarioServer, type ScenarioServer, type ServeOptions } from '../../../adapters/server/from-scenario.js';
import { collect } from './simulate.js';

export interface ServeCliOptions {
  host: string;
  port: string;
  speed: string;
  seed?: string;
  set: string[];
  modelName?: string;
  apiKey?: string;
  maxBodyBytes: string;
  failPct: string;
  stallPct: string;
  resetPct: string;
  breakPct: string;
  faultSeed: string;
  kvPullGbps: string;
  quiet?: boolean;
}

function num(flag: string, v: string, min: number, integer = false): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new UserError(`${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got "${v}"`);
  }
  return n;
}

export function serveOptions(o: ServeCliOptions): ServeOptions {
  return {
    host: o.host,
    port: num('--port', o.port, 0, true),
    speed: num('--speed', o.speed, Number.MIN_VALUE),
    seed: o.seed !== undefined ? num('--seed', o.seed, 0, true) : undefined,
    set: o.set,
    modelName: o.modelName,
    // The key may come from the environment so it never shows in `ps` output or shell history.
    apiKey: o.apiKey ?? process.env['PDSIM_API_KEY'] ?? process.env['VLLM_API_KEY'],
    maxBodyBytes: num('--max-body-bytes', o.maxBodyBytes, 1024, true),
    faults: {
      failPct: num('--fail-pct', o.failPct, 0),
      stallPct: num('--stall-pct', o.stallPct, 0),
      resetPct: num('--reset-pct', o.resetPct, 0),
      breakPct: num('--break-pct', o.breakPct, 0),
      seed: o.faultSeed,
    },
    kvPullGBps: num('--kv-pull-gbps', o.kvPullGbps, Number.MIN_VALUE),
    log: o.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  };
}

export async function serveCommand(file: string, o: ServeCliOptions): Promise<ScenarioServer> {
  let server: ScenarioServer;
  try {
    server = await startScenarioServer(file, serveOptions(o));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UserError(`port ${o.port} on ${o.host} is already in use; pick another with --port`);
    if (code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new UserError(`cannot listen on ${o.host}:${o.port} (${code})`);
    throw e;
  }
  process.stdout.write(
    `pdsim serve: ${server.scenarioName} as model "${server.modelName}" (max_model_len ${server.maxModelLen}, speed x${o.speed}) on ${server.url}\n` +
      `pdsim serve: text and chat prompts are counted with ${server.tokenizerDescription}\n`,
  );
  return server;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('Serve a scenario as an OpenAI-compatible (vLLM-shaped) HTTP server timed by the simulator in real time')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--host <addr>', 'address to bind (loopback unless told otherwise)', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', '8000')
    .option('--speed <x>', 'simulated seconds per wall second (2 = twice as fast as real time)', '1')
    .option('--seed <n>', "seed (overrides the scenario's)")
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--model-name <name>', "served model name (default: the model's Hugging Face id)")
    .option('--api-key <key>', 'require this bearer key on /v1/* (or set PDSIM_API_KEY)')
    .option('--max-body-bytes <n>', 'largest request body accepted', String(8 * 1024 * 1024))
    .option('--fail-pct <p>', 'fault injection: answer this % of requests with HTTP 500', '0')
    .option('--stall-pct <p>', 'fault injection: never answer this % of requests', '0')
    .option('--reset-pct <p>', 'fault injection: reset the connection mid-stream for this %', '0')
    .option('--break-pct <p>', 'fault injection: break the SSE stream mid-way for this %', '0')
    .option('--fault-seed <s>', 'seed of the fault draws', '0')
    .option('--kv-pull-gbps <x>', 'P/D decode legs: KV pull bandwidth, GB/s', '25')
    .option('--quiet', 'no request log on stderr')
    .action(async (file: string, o: ServeCliOptions) => {
      const server = await serveCommand(file, o);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    });
}
