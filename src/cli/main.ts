// Runs the CLI; the logic lives in program.ts so tests can call main() without exiting.
import { main } from './program.js';

// `pdsim list gpus | head`: a reader that stops early is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

// No top-level await: the bundle runs this file as a CommonJS script (src/build/bundle.ts, for V8's
// code cache). `done`: the build's warm-up (src/build/script-runner.ts) runs several command lines
// in one process and waits for each.
export const done = main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
