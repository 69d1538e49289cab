/**
 * The one adapter between the planner/sweeps and the simulation engine: a scenario object (raw,
 * as parsed from YAML, overrides applied) + a seed -> its Summary and report series. Everything
 * under src/plan goes through here, so a change in the engine's API touches this file only.
 */
import type { Summary } from '../metrics/summary.js';
import type { RunSeries } from '../report/types.js';
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
}

export interface EvalOutput {
  summary: Summary;
  series?: RunSeries;
  uncalibratedGpus: string[];
}

export async function evaluate(input: EvalInput): Promise<EvalOutput> {
  const raw = structuredClone(input.raw);
  const scenario = resolveScenario(raw, input.file);
  const r = await runSimulation({ scenario, file: input.file, baseDir: input.baseDir }, { seed: input.seed, writer: new NullRecordWriter(), modelsDir: input.modelsDir });
  return { summary: r.summary, series: input.series ? { ...r.series, timeline: undefined } : undefined, uncalibratedGpus: r.built.uncalibratedGpus };
}
