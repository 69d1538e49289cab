// Runs the CLI; the logic lives in program.ts so tests can call main() without exiting.
import { main } from './program.js';

process.exitCode = await main(process.argv.slice(2));
