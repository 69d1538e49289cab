/**
 * Runs tasks on all cores (worker threads) or serially, and hands results back strictly in task
 * order: a reorder buffer releases result k only after results 0..k-1, so whatever streams them
 * (sweep.jsonl, plan.jsonl) writes the same bytes whatever the thread count or finishing order.
 */
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { packageRoot } from '../package-files.js';
import { runTask, type Task, type TaskResult } from './tasks.js';
import { planMessages } from '../messages/plan.js';
import { PLAN_THREAD_FLAG } from './thread-flag.js';

export interface PoolOptions {
  /** Worker threads; 1 runs in-process (no threads). Default: up to the machine's cores and the task count, when the work is worth it (Pool). */
  workers?: number;
  /** Called in task order (0, 1, 2, ...) as soon as the results up to that index are in. */
  onResult?: (index: number, result: TaskResult) => void;
  /** Filled in once the pool is done: the threads it started (the main thread not counted). */
  threads?: { count: number };
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
    if (opts.threads) opts.threads.count = pool.threadCount;
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
 * When the default thread count (no `-j`) starts threads. On 2 cores a second isolate warms its JIT
 * from cold (~0.5 CPU-s) while the first's background compiler and GC already take part of the other
 * core, so 8 quickstart points of 5k requests ran slower in parallel (0.96 vs 0.81 s wall, quiet)
 * and 8 of 20k broke even (1.44 vs 1.44 s, load ~2.5). So threads start only for work estimated at
 * PARALLEL_MIN_CPU_S or more: before any task by a lower bound of 5 us of CPU per simulated request
 * (the cheapest regime, parity, is ~5 us; quickstart ~16 us), then after each task the main thread
 * runs alone, by that task's process CPU (the first's less its warm-up) times the tasks left. Results do not depend on
 * it (the reorder buffer above): only when, and whether, threads join.
 */
export const PARALLEL_MIN_CPU_S = 2;
export const MIN_CPU_S_PER_REQUEST = 5e-6;
/**
 * What the first task costs more than the next ones, compiling as it runs (JIT from cold, the code
 * cache holds bytecode only): 8 x 5k quickstart points, the first 0.34 CPU-s, the next ~0.1.
 */
export const FIRST_TASK_WARM_UP_CPU_S = 0.25;

/** A lower bound of the tasks' serial CPU seconds: requests of eval tasks (a trace's unknown: 0); a plan group is always enough. */
export function workLowerBoundCpuS(tasks: readonly Task[]): number {
  let requests = 0;
  for (const t of tasks) {
    if (t.kind === 'group') return Infinity;
    const n = (t.input.raw.workload as { requests?: unknown } | undefined)?.requests;
    if (typeof n === 'number' && Number.isFinite(n)) requests += n;
  }
  return requests * MIN_CPU_S_PER_REQUEST;
}

/** Whether the work left, `tasksLeft` tasks at `cpuSPerTask` each, is worth starting threads for. */
export function worthThreads(tasksLeft: number, cpuSPerTask: number, minCpuS = PARALLEL_MIN_CPU_S): boolean {
  return tasksLeft >= 1 && tasksLeft * cpuSPerTask >= minCpuS;
}

/**
 * Cores the default may start threads on: those the 1-minute load average leaves idle (this run's
 * own thread counts in it only once it has run a while, hence the rounding). 8 quickstart points
 * of 50k requests at load 7-10 on 2 cores: -j 1 10.0 s wall, 4.3 CPU-s; two threads 10.8 s, 5.2
 * CPU-s (6 pairs, lower in 1): a second thread competes with other work and gains nothing.
 */
export function idleCores(cores: number, load1: number): number {
  return Math.max(0, Math.round(cores - load1));
}

/**
 * The runners of up to `taskCount` tasks: the main thread and up to `workers - 1` threads. With an
 * explicit `workers` the threads start at construction, so a caller can build its tasks (load
 * scenarios) while they boot (~0.1-0.3 s each at load: a new isolate, the code cache deserialised).
 * With the default (undefined) they start as PARALLEL_MIN_CPU_S says, on the cores idleCores finds
 * idle, possibly never. Each runner
 * claims the next task index from one shared counter, so none holds a task another could run. One
 * run() per pool.
 */
export class Pool {
  private readonly threads: Worker[] = [];
  private readonly bootErrors: unknown[] = [];
  private readonly start: ReturnType<typeof workerStart>;
  /** Threads the default may still start (0 once started, or with an explicit count). */
  private autoThreads: number;

  /** `minCpuS`: the default's threshold; `loadAverage`: the 1-minute load average (tests give their own). */
  constructor(
    workers: number | undefined,
    taskCount: number,
    private readonly minCpuS = PARALLEL_MIN_CPU_S,
    private readonly loadAverage: () => number = () => loadavg()[0]!,
  ) {
    this.start = workerStart();
    const n = this.start === null ? 1 : Math.min(workers ?? defaultWorkers(), taskCount);
    this.autoThreads = workers === undefined ? Math.max(0, n - 1) : 0;
    if (workers !== undefined) this.startThreads(n - 1);
  }

  /** Threads this pool started (the main thread not counted). */
  get threadCount(): number {
    return this.threads.length;
  }

  private startThreads(count: number): void {
    for (let k = 0; k < count; k++) {
      const w = new Worker(this.start!.url, this.start!.options);
      const i = this.threads.push(w) - 1;
      // A thread that fails to boot before run() listens would otherwise throw an unhandled 'error'.
      w.on('error', (e) => (this.bootErrors[i] ??= e));
    }
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
    const attach = (w: Worker, i: number) =>
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
      });
    const running: Promise<void>[] = this.threads.map(attach);
    const join = (tasksLeft: number) => {
      const count = Math.min(this.autoThreads, tasksLeft, idleCores(availableParallelism(), this.loadAverage()));
      // A machine busy with other work: stay alone for now and look again after the next task.
      if (count <= 0) return;
      const from = this.threads.length;
      this.startThreads(count);
      this.autoThreads = 0;
      for (let i = from; i < this.threads.length; i++) running.push(attach(this.threads[i]!, i));
    };
    if (this.autoThreads > 0 && worthThreads(tasks.length, workLowerBoundCpuS(tasks) / Math.max(1, tasks.length), this.minCpuS)) join(tasks.length);
    let cpuBefore = process.cpuUsage();
    let ranAlone = 0;
    for (let id = Atomics.add(claim, 0, 1); id < tasks.length; id = Atomics.add(claim, 0, 1)) {
      try {
        results[id] = await runTask(tasks[id]!);
      } catch (e) {
        fail(e);
        break;
      }
      if (this.autoThreads > 0) {
        // Still alone: the task's process CPU (this thread, V8's compiler and GC threads) prices each task left.
        const used = process.cpuUsage(cpuBefore);
        cpuBefore = process.cpuUsage();
        const taskCpuS = (used.user + used.system) / 1e6 - (ranAlone++ === 0 ? FIRST_TASK_WARM_UP_CPU_S : 0);
        const left = tasks.length - Atomics.load(claim, 0);
        if (worthThreads(left, taskCpuS, this.minCpuS)) join(left);
      }
      // Let the threads' results in (macrotasks) between this thread's tasks, so they stream in order.
      if (running.length > 0) await new Promise<void>((r) => setImmediate(r));
      release();
    }
    await Promise.all(running);
    if (failure !== null) throw (failure as { error: unknown }).error;
    release();
    return results as TaskResult[];
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((w) => w.terminate()));
  }
}
