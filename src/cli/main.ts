// Runs the CLI; the logic lives in program.ts so tests can call main() without exiting.
import { isMainThread, workerData } from 'node:worker_threads';
import { PLAN_THREAD_FLAG } from '../plan/thread-flag.js';
import { main } from './program.js';

/**
 * A sweep/plan pool thread (src/plan/pool.ts) started on the bundle's entry runs this same script
 * with the simulate code cache (src/build/script-runner.ts), so it compiles none of the simulation
 * code the cache holds; here it becomes the pool's worker instead of the CLI.
 */
const planThread = !isMainThread && (workerData as Record<string, unknown> | null)?.[PLAN_THREAD_FLAG] === true;

if (!planThread) {
  // `pdsim list gpus | head`: a reader that stops early is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}

// No top-level await: the bundle runs this file as a CommonJS script (src/build/bundle.ts, for V8's
// code cache). `done`: the build's warm-up (src/build/script-runner.ts) runs several command lines
// in one process and waits for each.
export const done: Promise<void> = planThread
  ? import('../plan/worker.js').then(() => undefined)
  : main(process.argv.slice(2)).then((code) => {
      process.exitCode = code;
    });
