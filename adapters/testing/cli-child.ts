// Runs one of the live-mode CLI commands in a child process for tests (the registry in
// src/cli/commands/index.ts is not needed): `node --import tsx cli-child.ts serve SCENARIO ...`.
import { Command } from 'commander';
import { register as registerProxy } from '../../src/cli/commands/proxy.js';
import { register as registerServe } from '../../src/cli/commands/serve.js';

const program = new Command().exitOverride();
registerServe(program);
registerProxy(program);
await program.parseAsync(process.argv.slice(2), { from: 'user' });
