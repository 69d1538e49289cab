/**
 * The host's compute speed over a bench run, so a change in the CPU's speed between profiling and
 * serving can be told from a change in the engine's work: a worker thread of the bench process
 * times a fixed floating-point loop once a second (the fastest of a few short runs, so a
 * preemption does not count) and keeps loop iterations per ms. In the quiet bench of 2 December
 * 14:33, lone served prompts (compute-bound) ran 1.25x their profiled price while batch-1 decodes
 * (memory-bound) ran 0.97x, and the prompts' ratios were correlated from one to the next (lag-1
 * 0.36): a slower compute phase of the host during serving would do that (an idle core coming
 * back slow was measured not to: `prompt-ab.ts idle`). A worker,
 * not the main thread, so that the client's event loop (which timestamps the tokens) never waits
 * for it; it costs about 1 ms of one core a second.
 *
 * It also times a memory-bound loop, a 32 MiB buffer copy (the faster of two): a batch-1 decode
 * streams the weights through matrix-vector products and is bound by memory bandwidth, while a
 * batch of 2+ runs tinyBLAS matrix products (llama.cpp's sgemm is off for one column) and prompts
 * are compute-bound, so the two can drift apart. Measured in one process (decode-ab.ts, 3 December,
 * load 5-13): the profiler's batch-1 step took 5.5-10.4 ms of CPU from one minute to the next,
 * batch 2 10.8-12.4; over 60 rounds batch 1 followed the copy (correlation 0.40) and not the float
 * loop (-0.09). The register-only loop cannot see that; the copy (about 10 ms a second of one core
 * and of the memory bus) can.
 */
import { Worker } from 'node:worker_threads';
import { median } from '../../src/bench/regimes.js';

export interface ProbeSample {
  atMs: number;
  /** Loop iterations per ms, the fastest of the sample's runs. */
  rate: number;
  /** Copy bandwidth, GB/s (bytes read + written), the faster of two 32 MiB copies. */
  copyGBps?: number;
}

/** The worker's code: every `periodMs`, the fastest of 5 runs of a 100k-iteration dependent multiply-add chain. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const N = 100000;
const once = () => {
  let x = 1.0000001;
  const t = performance.now();
  for (let i = 0; i < N; i++) x = x * 0.9999999 + 1e-7;
  const ms = performance.now() - t;
  return x > 0 ? ms : ms + 1;
};
const src = Buffer.alloc(32 << 20, 1);
const dst = Buffer.alloc(32 << 20);
const copyMs = () => {
  const t = performance.now();
  src.copy(dst);
  return performance.now() - t;
};
const tick = () => {
  let best = Infinity;
  for (let k = 0; k < 5; k++) best = Math.min(best, once());
  const copy = Math.min(copyMs(), copyMs());
  parentPort.postMessage({ atMs: Date.now(), rate: N / best, copyGBps: (2 * src.length) / (copy * 1e6) });
};
setInterval(tick, workerData.periodMs);
`;

export class SpeedProbe {
  readonly samples: ProbeSample[] = [];
  private readonly worker: Worker;

  constructor(periodMs = 1000) {
    this.worker = new Worker(WORKER, { eval: true, workerData: { periodMs } });
    this.worker.on('message', (s: ProbeSample) => this.samples.push(s));
    this.worker.unref();
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Median of the samples within [fromMs, toMs] (the loop rate, or `copyGBps`); null when there are none. */
export function medianRate(samples: readonly ProbeSample[], fromMs: number, toMs: number, key: 'rate' | 'copyGBps' = 'rate'): number | null {
  const xs = samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs && s[key] !== undefined).map((s) => s[key]!);
  return xs.length === 0 ? null : median(xs);
}
