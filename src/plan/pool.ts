/**
 * Runs tasks on all cores (worker threads) or serially, and hands results back strictly in task
 * order: a reorder buffer releases result k only after results 0..k-1, so whatever streams them
 * (sweep.jsonl, plan.jsonl) writes the same bytes whatever the thread count or finishing order.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { packageRoot } from '../package-files.js';
import { runTask, type Task, type TaskResult } from './tasks.js';
import { planMessages } from '../messages/plan.js';

export interface PoolOptions {
  /** Worker threads; 1 runs in-process (no threads). Default: the machine's cores, at most the task count. */
  workers?: number;
  /** Called in task order (0, 1, 2, ...) as soon as the results up to that index are in. */
  onResult?: (index: number, result: TaskResult) => void;
}

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
  const results: (TaskResult | undefined)[] = new Array(tasks.length);
  let released = 0;
  const release = () => {
    while (released < tasks.length && results[released] !== undefined) {
      opts.onResult?.(released, results[released]!);
      released++;
    }
  };
  // From sources, a bootstrap that registers tsx in the worker; from the bundle (a chunk under dist/),
  // the bundled worker entry dist/plan-worker.mjs. A build that ships neither runs serially (same results).
  const url = import.meta.url.endsWith('.ts') ? new URL('./worker-entry.mjs', import.meta.url) : pathToFileURL(path.join(packageRoot(), 'dist', 'plan-worker.mjs'));
  const canThread = url.protocol === 'file:' && existsSync(fileURLToPath(url));
  const n = canThread ? Math.min(opts.workers ?? defaultWorkers(), tasks.length) : 1;
  if (n <= 1) {
    for (let i = 0; i < tasks.length; i++) {
      results[i] = await runTask(tasks[i]!);
      release();
    }
    return results as TaskResult[];
  }
  const workers = Array.from({ length: n }, () => new Worker(url));
  let next = 0;
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const feed = () => {
              if (next >= tasks.length) return resolve();
              const id = next++;
              w.postMessage({ id, task: tasks[id] });
            };
            w.on('message', (m: { id: number; result?: TaskResult; error?: { message: string; user: boolean; stack?: string } }) => {
              if (m.error) {
                const e = m.error.user ? new UserError(m.error.message) : Object.assign(new Error(m.error.message), { stack: m.error.stack });
                return reject(e);
              }
              results[m.id] = m.result;
              release();
              feed();
            });
            w.on('error', reject);
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results as TaskResult[];
}
