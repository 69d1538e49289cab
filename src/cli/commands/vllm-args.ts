/**
 * `pdsim vllm-args SCENARIO`: prints the `vllm serve` command lines (colocated, or P/D with NIXL
 * plus a `pdsim proxy`) that deploy the scenario for real, then the `pdsim validate` line.
 */
import type { Command } from 'commander';
import { loadScenario } from '../../scenario/load.js';
import { vllmServeLines } from '../../../adapters/vllm/vllm-serve-lines.js';
import { collect } from './simulate.js';
import { UserError } from '../../errors.js';
import { cliMessages } from '../../messages/cli.js';

export function vllmArgsCommand(file: string, o: { set: string[]; host: string; basePort: string }): string {
  const port = Number(o.basePort);
  if (!Number.isInteger(port) || port < 200 || port > 65000) throw new UserError(cliMessages.basePortOutOfRange(o.basePort));
  const loaded = loadScenario(file, o.set);
  const { lines, notes } = vllmServeLines(loaded.scenario, { host: o.host, basePort: port, scenarioFile: file });
  return [...lines, ...notes.map((n) => `# note: ${n}`)].join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('vllm-args')
    .description('Print the `vllm serve` command lines (colocated, or P/D with NIXL) that deploy a scenario')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--host <addr>', 'host the servers will be reached at', '127.0.0.1')
    .option('--base-port <n>', 'port of the first instance; the P/D proxy gets base-port - 100', '8100')
    .action((file: string, o: { set: string[]; host: string; basePort: string }) => {
      process.stdout.write(vllmArgsCommand(file, o));
    });
}
