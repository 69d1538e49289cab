/**
 * The one adapter between the planner/sweeps and the simulation engine: a scenario object (raw,
 * as parsed from YAML, overrides applied) + a seed -> its Summary and report series. Everything
 * under src/plan goes through here, so a change in the engine's API touches this file only.
 */
import type { RecordWriter, SloSpec } from '../metrics/collector.js';
import type { Summary } from '../metrics/summary.js';
import type { RequestRecord } from '../serving/types.js';
import type { RunSeries } from '../metrics/run-series.js';
import { NullRecordWriter } from '../run/record-writer.js';
import { runSimulation } from '../run/simulation.js';
import { resolveScenario } from '../scenario/load.js';

export interface EvalInput {
  /** The scenario as parsed (not yet validated); it is cloned, never modified. */
  raw: Record<string, unknown>;
  /** Absolute path of the file it came from (for error messages and relative trace paths). */
  file: string;
  baseDir: string;
  seed: number;
  modelsDir?: string;
  /** Keep the report series (CDFs, time series); off saves memory and transfer between threads. */
  series?: boolean;
  /**
   * Stop the run as soon as more than `maxMisses` requests missed an SLO (or failed): the verdict
   * "below the attainment target" is then certain, and the rest of the run is not needed.
   */
  stopAfterMisses?: { slo: SloSpec; maxMisses: number };
}

export interface EvalOutput {
  /** Partial (`pdsim.interrupted`) when the run was stopped by `stopAfterMisses`. */
  summary: Summary;
  stoppedEarly: boolean;
  series?: RunSeries;
  uncalibratedGpus: string[];
}

/** Counts requests that failed or missed an SLO, with the metrics collector's formulas (goodput as vllm bench). */
export class SloMissCounter implements RecordWriter {
  misses = 0;
  constructor(private readonly slo: SloSpec) {}
  write(rec: RequestRecord): void {
    if (rec.error !== undefined || rec.finishS === null) {
      this.misses++;
      return;
    }
    const ttftMs = ((rec.firstTokenS ?? rec.finishS) - rec.arrivalS) * 1000;
    const e2elMs = (rec.finishS - rec.arrivalS) * 1000;
    const tpotMs = rec.outputTokens > 1 ? (e2elMs - ttftMs) / (rec.outputTokens - 1) : 0;
    const s = this.slo;
    if (!((s.ttftMs === undefined || ttftMs <= s.ttftMs) && (s.tpotMs === undefined || tpotMs <= s.tpotMs) && (s.e2elMs === undefined || e2elMs <= s.e2elMs))) this.misses++;
  }
}

export async function evaluate(input: EvalInput): Promise<EvalOutput> {
  const raw = structuredClone(input.raw);
  const scenario = resolveScenario(raw, input.file, undefined, input.modelsDir);
  const stop = input.stopAfterMisses;
  const counter = stop ? new SloMissCounter(stop.slo) : undefined;
  const r = await runSimulation({ scenario, file: input.file, baseDir: input.baseDir }, {
    seed: input.seed,
    writer: counter ?? new NullRecordWriter(),
    modelsDir: input.modelsDir,
    shouldStop: counter ? () => counter.misses > stop!.maxMisses : undefined,
  });
  return { summary: r.summary, stoppedEarly: r.interrupted, series: input.series ? { ...r.series, timeline: undefined } : undefined, uncalibratedGpus: r.built.uncalibratedGpus };
}
