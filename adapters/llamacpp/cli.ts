/** The llama.cpp commands, registered by src/cli/commands/index.ts: `pdsim llamacpp-serve`, `pdsim llamacpp-profile`. */
import type { Command } from 'commander';
import { llamaProfileCommand } from './profile.js';
import { llamaServeCommand } from './serve.js';

export function register(program: Command): void {
  program.addCommand(llamaServeCommand());
  program.addCommand(llamaProfileCommand());
}
