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
 */
import { Worker } from 'node:worker_threads';
import { median } from '../../src/bench/regimes.js';

export interface ProbeSample {
  atMs: number;
  /** Loop iterations per ms, the fastest of the sample's runs. */
  rate: number;
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
const tick = () => {
  let best = Infinity;
  for (let k = 0; k < 5; k++) best = Math.min(best, once());
  parentPort.postMessage({ atMs: Date.now(), rate: N / best });
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

/** Median probe rate of the samples within [fromMs, toMs]; null when there are none. */
export function medianRate(samples: readonly ProbeSample[], fromMs: number, toMs: number): number | null {
  const xs = samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs).map((s) => s.rate);
  return xs.length === 0 ? null : median(xs);
}
