/**
 * pdsim command-line entry point. Pipeline of every command: parse flags -> load -> validate ->
 * build -> run -> summarize -> report. Exit codes: 0 success, 1 internal error, 2 user error.
 */
import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.js';
import { packageVersion } from '../package-files.js';
import { registerCommands } from './commands/index.js';

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command();
  program
    .name('pdsim')
    .description('Predict, then check against live vLLM, how (disaggregated) LLM serving behaves.')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    await registerCommands(program, argv);
    await program.parseAsync(argv as string[], { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UserError) {
      process.stderr.write(`pdsim: error: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`pdsim: internal error (a bug, please report it):\n${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

