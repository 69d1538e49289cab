/**
 * `pdsim calibrate` pipeline: 1 load measured files -> 2 fit -> 3 measure the fit (in-sample and
 * held out) -> 4 write profiles and/or the accuracy report. The CLI wraps this; tests call it.
 */
import { relative } from 'node:path';
import type { Catalog } from '../model/catalog.js';
import type { GpuProfile } from '../model/gpu.js';
import { crossValidate, type CrossValidation } from './crossval.js';
import { DATASETS, datasetPaths, repoRoot, TRANSFERS, type Dataset } from './datasets.js';
import { scaleMemoryEfficiency } from './transfer.js';
import { engineIterationErrors, type IterationErrors } from './fit-iterations.js';
import { fitPerf, groupErrors, type GroupError, type PerfFit } from './fit-profile.js';
import { provenanceSources, writeCalibratedProfile, type Provenance } from './profile-writer.js';
import { accuracyMarkdown } from './report.js';
import { emptySampleSet, mergeInto, type SampleSet } from './samples.js';
import { readSource } from './sources.js';

/** Reads files; provenance records paths relative to the repository root (e.g. models/data/...). */
export function loadSamples(files: readonly string[]): SampleSet {
  const set = emptySampleSet();
  for (const f of files) {
    mergeInto(set, readSource(f, relative(repoRoot(), f).split('\\').join('/')));
  }
  return set;
}

export interface CalibrationResult {
  gpu: GpuProfile;
  fit: PerfFit;
  inSample: GroupError[];
  set: SampleSet;
  heldOut?: CrossValidation;
  /** Whole engine iterations: in-sample and 2-fold held-out error (when the data has iter_* rows). */
  engineErrors?: IterationErrors[];
}

export function calibrate(gpu: GpuProfile, set: SampleSet, opts: { crossValidate?: boolean; crossCheck?: SampleSet } = {}): CalibrationResult {
  const fit = fitPerf(set, gpu);
  const inSample = groupErrors(set, gpu, fit.perf);
  const heldOut = opts.crossValidate ? crossValidate(set, gpu, opts.crossCheck, fit.perf) : undefined;
  const engineErrors = set.iterations.length > 0 ? engineIterationErrors(set.iterations, gpu, fit.perf) : undefined;
  return { gpu, fit, inSample, set, heldOut, ...(engineErrors ? { engineErrors } : {}) };
}

export function datasetFor(gpuId: string): Dataset | undefined {
  return DATASETS[gpuId];
}

/** Held-out whole-iteration error, the headline number kept in provenance. */
function heldOutSummary(cv: CrossValidation | undefined) {
  return cv?.rows.filter((r) => r.group.startsWith('iteration') || r.slice === 'all');
}

export function writeProfiles(catalog: Catalog, r: CalibrationResult, command: string, notes: readonly string[]): string[] {
  const date = new Date().toISOString().slice(0, 10);
  const it = r.heldOut?.rows.filter((x) => x.group.startsWith('iteration') && x.slice === 'all') ?? [];
  const eng = r.engineErrors?.map((e) => `${e.group.replace('engine iteration ', '')} median ${e.heldOut.medianPct.toFixed(1)}% / p90 ${e.heldOut.p90Pct.toFixed(1)}%`).join(', ');
  const band = eng ? eng : it.length > 0 ? it.map((x) => `${x.group.replace('iteration ', '')} median ${x.medianPct.toFixed(1)}% / p90 ${x.p90Pct.toFixed(1)}%`).join(', ') : 'see provenance.fitError';
  const provenance: Provenance = {
    sources: provenanceSources(r.set.sources),
    date,
    command,
    fitted: r.fit.fitted,
    keptFromPrevious: r.fit.kept,
    fitError: { inSample: r.inSample, heldOut: r.engineErrors ? r.engineErrors.map((e) => ({ gpu: r.gpu.id, group: e.group, slice: '2-fold', ...e.heldOut })) : heldOutSummary(r.heldOut) },
    notes: [...notes],
    ...(r.fit.copies.length > 0 ? { copies: r.fit.copies } : {}),
  };
  const written: string[] = [];
  const file = catalog.file('gpu', r.gpu.id);
  writeCalibratedProfile(file, r.fit.perf, provenance, eng ? `held-out whole-iteration error (2-fold over the measured engine iterations): ${band}` : `held-out whole-iteration error (GPU kernels, docs/accuracy.md): ${band}`);
  written.push(file);
  for (const t of TRANSFERS.filter((x) => x.from === r.gpu.id)) {
    const to = catalog.file('gpu', t.to);
    const memoryNote = t.memory ? [`memory efficiencies x ${t.memory.factor.toFixed(3)}: ${t.memory.source}`] : [];
    writeCalibratedProfile(to, scaleMemoryEfficiency(r.fit.perf, t.memory), { ...provenance, transferredFrom: r.gpu.id, notes: [...notes, t.note, ...memoryNote] }, `as ${r.gpu.id} (${band}) plus the unmeasured effect of its different memory`);
    written.push(to);
  }
  return written;
}

export function reportMarkdown(results: readonly CalibrationResult[], command: string): string {
  return accuracyMarkdown(
    results.filter((r) => r.heldOut).map((r) => ({ cv: r.heldOut!, dataset: datasetFor(r.gpu.id) ?? { gpuId: r.gpu.id, fit: [], crossCheck: [], notes: [] }, sources: r.set.sources })),
    command,
  );
}

export function defaultFiles(gpuId: string, dataDir: string): { fit: string[]; crossCheck: string[] } | undefined {
  const ds = datasetFor(gpuId);
  return ds ? datasetPaths(ds, dataDir) : undefined;
}
