/**
 * One simulation run, the pipeline every command shares:
 *   1. load (the caller) -> 2. build (composition root) -> 3. run (arrivals through the kernel, in
 *   slices so progress and Ctrl-C are handled) -> 4. summarize -> 5. report data.
 * No file I/O here except through the record writer the caller passes in.
 */
import { Simulator } from '../kernel/simulator.js';
import { RandomStreams } from '../kernel/random.js';
import { MetricsCollector, type RecordWriter } from '../metrics/collector.js';
import { summarize, type Summary } from '../metrics/summary.js';
import { cdfFromQuantiles } from '../metrics/cdf.js';
import type { RunSeries } from '../metrics/run-series.js';
import { buildDeployment, type Built } from '../scenario/build/index.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { RequestRecord, RequestSpec } from '../serving/types.js';
import { makeWorkload } from '../workload/generator.js';
import { ConcurrencyGate } from '../workload/concurrency.js';
import { pdSeries } from '../metrics/pd-series.js';
import { EventPriority } from '../serving/event-priorities.js';
import { outOfRangeFlags } from '../perf/range-flags.js';

export interface Progress {
  requestsDone: number;
  requestsTotal: number;
  simTimeS: number;
  events: number;
}

export interface RunOptions {
  seed?: number;
  writer: RecordWriter;
  /** Defaults to true; false forces step-by-step simulation (tests compare both). */
  fastForward?: boolean;
  onProgress?: (p: Progress) => void;
  /** Polled between slices; returning true stops the run early (Ctrl-C). */
  shouldStop?: () => boolean;
  modelsDir?: string;
}

export interface RunResult {
  summary: Summary;
  series: RunSeries;
  built: Built;
  collector: MetricsCollector;
  interrupted: boolean;
  /** Seconds each request waited for a --max-concurrency slot, by id (when maxConcurrency is set). */
  queueS?: Float64Array;
  events: number;
  simTimeS: number;
}

export async function runSimulation(loaded: LoadedScenario, opts: RunOptions): Promise<RunResult> {
  const run = simulationSteps(loaded, opts);
  for (let r = run.next(); ; r = run.next()) {
    if (r.done) return r.value;
    await new Promise((res) => setImmediate(res));
  }
}

/**
 * The same run without yielding to the event loop (no Ctrl-C polling): for callers that must stay
 * synchronous, such as the end-to-end accuracy table that `calibrate` writes.
 */
export function runSimulationSync(loaded: LoadedScenario, opts: Omit<RunOptions, 'shouldStop'>): RunResult {
  const run = simulationSteps(loaded, opts);
  for (let r = run.next(); ; r = run.next()) if (r.done) return r.value;
}

/** The run as a generator: it yields where the caller may let the event loop run (before polling shouldStop). */
function* simulationSteps(loaded: LoadedScenario, opts: RunOptions): Generator<void, RunResult> {
  const sc = loaded.scenario;
  const seed = opts.seed ?? sc.seed;
  const streams = new RandomStreams(seed);
  const sim = new Simulator();
  const workload = makeWorkload(sc.workload, loaded.baseDir, loaded.file, streams);
  // Initial chart resolution: a guess at the run's length; the series coarsens itself if longer.
  const rate = sc.workload.arrival?.rate;
  const guessS = sc.output?.sampleIntervalS !== undefined ? sc.output.sampleIntervalS * 200 : rate ? workload.count / rate : 60;
  // --max-concurrency: a request that leaves frees a slot for the held arrival (the writer sees every exit).
  const gate = sc.workload.maxConcurrency !== undefined ? new ConcurrencyGate(sc.workload.maxConcurrency, workload.count) : undefined;
  const writer: RecordWriter = gate ? { write: (r, baseOnly) => (opts.writer.write(r, baseOnly), onExit(r)) } : opts.writer;
  const collector = new MetricsCollector(writer, sc.slo ?? {}, Math.max(guessS / 200, 1e-3), sc.output?.timeline ?? true);
  const built = buildDeployment(sc, loaded.file, sim, streams, collector, { fastForward: opts.fastForward ?? true, modelsDir: opts.modelsDir });
  const dep = built.deployment;
  // Sends (arrivals, slots a finish frees) act on the engines only through the deployment's submit,
  // which may hold them for a while (the API server): they go in a kernel lane with that lead, so
  // an engine's closed-form stretch need not stop at a send it cannot see yet.
  const leadS = dep.submitLeadS ?? 0;
  const sends = leadS > 0 ? sim.lane(leadS) : sim;
  // Arrivals are generated lazily: one pending arrival event at a time.
  const pull = workload.cursor();
  // One bound handler and the one pending arrival, not a closure per request: the next arrival is
  // pulled only after the pending one fired (the gate holds at most one, concurrency.ts).
  let pending: RequestSpec | null = null;
  const onArrival = (): void => {
    const spec = pending!;
    pending = null;
    const go = gate ? gate.admit(spec, sim.now) : spec;
    if (go) send(go); // else held: onExit sends it and resumes the arrivals
  };
  const scheduleNext = (): void => {
    const spec = pull();
    if (spec === undefined) return;
    if (pending !== null) throw new Error('internal: an arrival was pulled while another was pending');
    pending = spec;
    sends.scheduleAt(Math.max(spec.arrivalS, sim.now), onArrival, EventPriority.arrival);
  };
  let maxContextTokens = 0;
  const send = (spec: RequestSpec): void => {
    maxContextTokens = Math.max(maxContextTokens, spec.promptTokens + spec.outputTokens);
    collector.peaks.sent(sim.now);
    dep.submit(spec);
    scheduleNext();
  };
  // An engine may report a finish ahead of the clock (a closed-form stretch): the slot frees at finishS.
  function onExit(r: RequestRecord): void {
    sends.scheduleAt(Math.max(r.finishS ?? sim.now, sim.now), () => {
      const next = gate!.release(sim.now);
      if (next) send(next);
    }, EventPriority.arrival);
  }
  scheduleNext();
  let interrupted = false;
  const total = workload.count;
  const done = () => collector.completed + collector.failed;
  let lastReport = 0;
  // Slices of simulated time: small enough to report progress and notice Ctrl-C, large enough to be cheap.
  let sliceS = Math.max(guessS / 100, 1e-3);
  while (sim.peekTime() !== Infinity) {
    const before = sim.eventsProcessed;
    // The clock stays at the last event: figures divided by the run's span (mean occupancies) must
    // not depend on where a slice happened to end (slices grow with the event rate).
    sim.run(sim.now + sliceS, true);
    if (sim.eventsProcessed - before < 2000) sliceS *= 2;
    if (opts.onProgress && done() - lastReport >= total / 100) {
      lastReport = done();
      opts.onProgress({ requestsDone: done(), requestsTotal: total, simTimeS: sim.now, events: sim.eventsProcessed });
    }
    if (opts.shouldStop) {
      yield;
      if (opts.shouldStop()) {
        interrupted = true;
        break;
      }
    }
  }
  opts.onProgress?.({ requestsDone: done(), requestsTotal: total, simTimeS: sim.now, events: sim.eventsProcessed });
  // Every request completes or is reported failed with a reason: if the events ran out with requests
  // still inside the deployment (a stall), count them as failed rather than let them vanish.
  const arrived = interrupted ? done() : total;
  if (done() < arrived) {
    const n = arrived - done();
    collector.failed += n;
    collector.failures.set('did not finish: the simulation ran out of events with the request still queued (no requests.jsonl line)', n);
  }
  const hasSlo = sc.slo !== undefined && Object.keys(sc.slo).length > 0;
  const summary = summarize({
    collector,
    hasSlo,
    run: {
      seed,
      scenario: sc.name,
      model: sc.model,
      simulatedEvents: sim.eventsProcessed,
      interrupted,
      uncalibratedGpus: built.uncalibratedGpus,
      outOfRange: outOfRangeFlags(built.arch, built.pools.map((p) => ({ pool: p.spec.name ?? p.spec.role, gpu: p.gpu, tp: p.spec.tp, engine: p.engine })), { maxContextTokens, peakConcurrent: collector.peaks.maxConcurrent }),
      kvCapacity: built.pools.map((p) => ({ pool: p.spec.name ?? p.spec.role, gpu: p.gpu.id, tp: p.spec.tp, numGpuBlocks: p.capacity.numGpuBlocks, blockSize: p.engine.blockSize })),
    },
    bench: { label: sc.name, workload: sc.workload, numPrompts: total, hfId: built.arch.hfId },
    deployment: built.extraSummary?.(),
  });
  const series: RunSeries = {
    label: sc.name,
    cdf: {
      ttftMs: cdfFromQuantiles(collector.ttftMs.quantile),
      tpotMs: cdfFromQuantiles(collector.tpotMs.quantile),
      itlMs: cdfFromQuantiles(collector.itlMs.quantile),
      e2elMs: cdfFromQuantiles(collector.e2elMs.quantile),
    },
    timeSeries: collector.series.rows(collector.lastFinishS),
    timeline: collector.timeline,
    ...(collector.timelineTotal > collector.timeline.length ? { timelineTotal: collector.timelineTotal } : {}),
    tiers: built.tierSeries?.(),
    ...pdSeries(collector, summary),
  };
  return { summary, series, built, collector, interrupted, queueS: gate?.queueS, events: sim.eventsProcessed, simTimeS: sim.now };
}
