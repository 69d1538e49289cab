/**
 * Runs tasks on all cores (worker threads) or serially, and hands results back strictly in task
 * order: a reorder buffer releases result k only after results 0..k-1, so whatever streams them
 * (sweep.jsonl, plan.jsonl) writes the same bytes whatever the thread count or finishing order.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { packageRoot } from '../package-files.js';
import { runTask, type Task, type TaskResult } from './tasks.js';
import { planMessages } from '../messages/plan.js';
import { PLAN_THREAD_FLAG } from './thread-flag.js';

export interface PoolOptions {
  /** Worker threads; 1 runs in-process (no threads). Default: the machine's cores, at most the task count. */
  workers?: number;
  /** Called in task order (0, 1, 2, ...) as soon as the results up to that index are in. */
  onResult?: (index: number, result: TaskResult) => void;
}

/** What a pool thread posts (src/plan/worker.ts): a result, an error, or that it ran out of tasks. */
export type WorkerMessage =
  | { done?: undefined; id: number; result: TaskResult; error?: undefined }
  | { done?: undefined; id: number; result?: undefined; error: { message: string; user: boolean; stack?: string } }
  | { done: true };

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

export function parseWorkers(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UserError(planMessages.jobsOutOfRange(value));
  return n;
}

export async function runPool(tasks: readonly Task[], opts: PoolOptions = {}): Promise<TaskResult[]> {
  const pool = new Pool(opts.workers, tasks.length);
  try {
    return await pool.run(tasks, opts.onResult);
  } finally {
    await pool.close();
  }
}

// From sources, a bootstrap that registers tsx in the worker; from the bundle (a chunk under dist/
// or the CLI script), the bundle's own entry dist/pdsim.mjs, which runs the CLI script with the
// simulate code cache and, told by workerData, becomes the pool's worker (src/cli/main.ts): a
// thread then compiles no simulation code the cache holds. A build without it runs serially.
function workerStart(): { url: URL; options: WorkerOptions } | null {
  const fromSources = import.meta.url.endsWith('.ts');
  const url = fromSources ? new URL('./worker-entry.mjs', import.meta.url) : pathToFileURL(path.join(packageRoot(), 'dist', 'pdsim.mjs'));
  if (url.protocol !== 'file:' || !existsSync(fileURLToPath(url))) return null;
  // argv 'sweep': the entry picks its code cache by the command (src/build/cache-files.ts).
  return { url, options: fromSources ? {} : { argv: ['sweep'], workerData: { [PLAN_THREAD_FLAG]: true } } };
}

/**
 * The runners of up to `taskCount` tasks: the main thread and `workers - 1` threads, started at
 * construction, so a caller can build its tasks (load scenarios) while the threads boot (~0.1-0.3 s
 * each at load: a new isolate, the code cache deserialised). The main thread would otherwise wait idle. Each runner claims the next
 * task index from one shared counter, so none holds a task another could run. One run() per pool.
 */
export class Pool {
  private readonly threads: Worker[];
  private readonly bootErrors: unknown[] = [];

  constructor(workers: number | undefined, taskCount: number) {
    const start = workerStart();
    const n = start === null ? 1 : Math.min(workers ?? defaultWorkers(), taskCount);
    this.threads = n <= 1 ? [] : Array.from({ length: n - 1 }, () => new Worker(start!.url, start!.options));
    // A thread that fails to boot before run() listens would otherwise throw an unhandled 'error'.
    this.threads.forEach((w, i) => w.on('error', (e) => (this.bootErrors[i] ??= e)));
  }

  async run(tasks: readonly Task[], onResult?: (index: number, result: TaskResult) => void): Promise<TaskResult[]> {
    const results: (TaskResult | undefined)[] = new Array(tasks.length);
    let released = 0;
    const release = () => {
      while (released < tasks.length && results[released] !== undefined) {
        onResult?.(released, results[released]!);
        released++;
      }
    };
    const claim = new Int32Array(new SharedArrayBuffer(4));
    let failure: { error: unknown } | null = null;
    const fail = (error: unknown) => {
      failure ??= { error };
      Atomics.store(claim, 0, tasks.length);
    };
    const threads = this.threads.map(
      (w, i) =>
        new Promise<void>((resolve) => {
          if (this.bootErrors[i] !== undefined) {
            fail(this.bootErrors[i]);
            return resolve();
          }
          let finished = false;
          w.on('message', (m: WorkerMessage) => {
            if (m.done) {
              finished = true;
              return resolve();
            }
            if (m.error) {
              fail(m.error.user ? new UserError(m.error.message) : Object.assign(new Error(m.error.message), { stack: m.error.stack }));
              return resolve();
            }
            results[m.id] = m.result;
            release();
          });
          w.on('error', (e) => {
            fail(e);
            resolve();
          });
          // A thread that ends without saying it is done (it never became a pool worker) fails the run, not hangs it.
          w.on('exit', (code) => {
            if (finished) return;
            fail(new Error(`a pool thread exited (code ${code}) before finishing its tasks`));
            resolve();
          });
          w.postMessage({ tasks, claim: claim.buffer });
        }),
    );
    for (let id = Atomics.add(claim, 0, 1); id < tasks.length; id = Atomics.add(claim, 0, 1)) {
      try {
        results[id] = await runTask(tasks[id]!);
      } catch (e) {
        fail(e);
        break;
      }
      // Let the threads' results in (macrotasks) between this thread's tasks, so they stream in order.
      if (threads.length > 0) await new Promise<void>((r) => setImmediate(r));
      release();
    }
    await Promise.all(threads);
    if (failure !== null) throw (failure as { error: unknown }).error;
    release();
    return results as TaskResult[];
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((w) => w.terminate()));
  }
}
