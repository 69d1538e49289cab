/**
 * `pdsim validate SCENARIO --endpoint URL`: simulate the scenario, replay the same requests against
 * a live OpenAI-compatible server (vLLM, `pdsim proxy`, or `pdsim serve`), and compare. The
 * pipeline is in adapters/vllm/validate-run.ts; this module parses flags and prints.
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { intFlag, numFlag, prepareOutDir, seedFlag } from '../flags.js';
import { formatComparisonTable, runValidate, type ValidateResult } from '../../../adapters/vllm/validate-run.js';
import type { ApiKind } from '../../../adapters/vllm/sse-client.js';
import { collect, defaultOutDir, withVersion } from './simulate.js';
import { loadScenario } from '../../scenario/load.js';
import { cliMessages } from '../../messages/cli.js';

export interface ValidateCliOptions {
  endpoint?: string;
  out?: string;
  requests?: string;
  seed?: string;
  set: string[];
  model?: string;
  api: string;
  apiKey?: string;
  timeoutS: string;
  calibrateCapacity?: boolean;
  benchResult?: string;
  speed: string;
  vllmVersion?: string;
  report?: boolean;
}

const posInt = (flag: string, v: string): number => intFlag(flag, v, 1);
const posNum = (flag: string, v: string): number => numFlag(flag, v, 0, Number.MAX_VALUE, true);

export async function validateCommand(file: string, o: ValidateCliOptions): Promise<ValidateResult> {
  if (o.api !== 'completions' && o.api !== 'chat') throw new UserError(cliMessages.unknownApi(o.api));
  if (!o.endpoint && !o.benchResult) throw new UserError(cliMessages.needEndpointOrBenchResult());
  const endpoint = o.endpoint?.replace(/\/+$/, '').replace(/\/v1$/, '');
  const set = withVersion(o.set, o.vllmVersion);
  const requests = o.requests !== undefined ? posInt('--requests', o.requests) : undefined;
  const out = prepareOutDir(o.out ?? defaultOutDir(`${loadScenario(file, set).scenario.name}-validate`));
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const r = await runValidate(file, {
      out,
      endpoint,
      requests,
      seed: o.seed !== undefined ? seedFlag('--seed', o.seed) : undefined,
      set,
      model: o.model,
      api: o.api as ApiKind,
      apiKey: o.apiKey ?? process.env['PDSIM_API_KEY'] ?? process.env['VLLM_API_KEY'],
      timeoutS: posNum('--timeout-s', o.timeoutS),
      calibrateCapacity: o.calibrateCapacity,
      benchResult: o.benchResult,
      speed: posNum('--speed', o.speed),
      report: o.report,
      signal: controller.signal,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`\n${formatComparisonTable(r.comparison, ['simulated', o.benchResult ? 'bench result' : 'measured'])}\n`);
    process.stdout.write(`error = (simulated - measured) / measured\nresults: ${out}/{comparison.json,sim/,live/${o.report !== false ? ',report.html' : ''}}\n`);
    return r;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('Simulate a scenario and replay it against a live vLLM-compatible server; compare per metric')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--endpoint <url>', 'server base URL, e.g. http://127.0.0.1:8000 (vLLM, pdsim proxy or pdsim serve)')
    .option('-o, --out <dir>', 'output directory (default runs/<scenario>-validate-<timestamp>)')
    .option('--requests <n>', 'number of requests (overrides workload.requests)')
    .option('--seed <n>', "seed (overrides the scenario's); the same for both runs")
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--model <name>', 'served model name (default: the only model the server serves)')
    .option('--api <kind>', 'completions (token-id prompts, exact lengths) or chat', 'completions')
    .option('--api-key <key>', 'bearer key (or set PDSIM_API_KEY / VLLM_API_KEY; never written to disk)')
    .option('--timeout-s <s>', 'per-request timeout, seconds', '600')
    .option('--calibrate-capacity', "simulate with the server's KV block count and block size (vllm:cache_config_info)")
    .option('--bench-result <file>', 'compare with this `vllm bench serve --save-result` file instead of measuring')
    .option('--speed <x>', "the server's simulated seconds per wall second (pdsim serve --speed); 1 for vLLM", '1')
    .option('--no-report', 'skip report.html')
    .option('--vllm-version <x.y.z>', 'vLLM version to simulate (same as --set engine.vllmVersion=X); a warning says when the server\'s /version differs')
    .action(async (file: string, o: ValidateCliOptions) => {
      await validateCommand(file, o);
    });
}
