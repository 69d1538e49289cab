/**
 * `pdsim serve SCENARIO`: an OpenAI-compatible server (vLLM's endpoints, SSE format and metric
 * names) whose timing is the scenario's simulated deployment running in real time. The stand-in
 * for vLLM when testing the live path; see docs/live.md.
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { startScenarioServer, type ScenarioServer, type ServeOptions } from '../../../adapters/server/from-scenario.js';
import { collect } from './simulate.js';
import { hostFlag, intFlag, numFlag, pctFlag, portFlag, seedFlag } from '../flags.js';
import { cliMessages } from '../../messages/cli.js';

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

export function serveOptions(o: ServeCliOptions): ServeOptions {
  const faults = { failPct: pctFlag('--fail-pct', o.failPct), stallPct: pctFlag('--stall-pct', o.stallPct), resetPct: pctFlag('--reset-pct', o.resetPct), breakPct: pctFlag('--break-pct', o.breakPct) };
  const sum = faults.failPct + faults.stallPct + faults.resetPct + faults.breakPct;
  if (sum > 100) throw new UserError(cliMessages.faultPercentagesOver100(sum));
  return {
    host: hostFlag('--host', o.host),
    port: portFlag('--port', o.port),
    speed: numFlag('--speed', o.speed, 0, 1e6, true, '(simulated seconds per wall second)'),
    seed: o.seed !== undefined ? seedFlag('--seed', o.seed) : undefined,
    set: o.set,
    modelName: o.modelName,
    // The key may come from the environment so it never shows in `ps` output or shell history.
    apiKey: o.apiKey ?? process.env['PDSIM_API_KEY'] ?? process.env['VLLM_API_KEY'],
    maxBodyBytes: intFlag('--max-body-bytes', o.maxBodyBytes, 1024, 1024 * 1024 * 1024),
    faults: { ...faults, seed: o.faultSeed },
    kvPullGBps: numFlag('--kv-pull-gbps', o.kvPullGbps, 0, 1e6, true, 'GB/s'),
    log: o.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  };
}

export async function serveCommand(file: string, o: ServeCliOptions): Promise<ScenarioServer> {
  let server: ScenarioServer;
  try {
    server = await startScenarioServer(file, serveOptions(o));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UserError(cliMessages.portInUse(o.port, o.host));
    if (code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new UserError(cliMessages.cannotListen(o.host, o.port, code));
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
