/**
 * `pdsim calibrate`: fit a GPU profile's perf parameters to measured operator timings.
 *
 *   pdsim calibrate                         fit A100 and H100 on their default data, print errors
 *   pdsim calibrate --write                 ... and write models/gpu/{a100-sxm-80gb,a100-sxm-40gb,h100-sxm}.json
 *   pdsim calibrate --report --out docs/accuracy.md   held-out (leave-one-model-out) report
 *   pdsim calibrate --gpu h100-sxm my-profile.csv ... fit on explicit files (any supported format)
 *   pdsim calibrate --e2e                   recompute the end-to-end (real vLLM) section of docs/accuracy.md
 *
 * Steps: 1 resolve files -> 2 load -> 3 fit (+ cross-validate) -> 4 print / write.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { DATASETS, defaultDataDir } from '../../calibrate/datasets.js';
import { withE2eSection } from '../e2e.js';
import { calibrate, defaultFiles, loadSamples, reportMarkdown, writeProfiles, type CalibrationResult } from '../../calibrate/run.js';
import { Catalog } from '../../model/catalog.js';
import { cliMessages } from '../../messages/cli.js';

export interface CalibrateOptions {
  gpu?: string[];
  dataDir?: string;
  write?: boolean;
  report?: boolean;
  out?: string;
  json?: boolean;
  /** Rewrite only the end-to-end section of --out (default docs/accuracy.md) from models/data/e2e. */
  e2e?: boolean;
  modelsDir?: string;
  /** The command line recorded in provenance (default: this process's arguments). */
  command?: string;
}

/**
 * `--gpu <id...>` is variadic, so in `pdsim calibrate --gpu l4 profile.csv` commander hands the
 * file to --gpu too: values that name existing files are files.
 */
function splitGpuAndFiles(files: readonly string[], gpu: readonly string[] | undefined): { files: string[]; gpu: string[] | undefined } {
  if (!gpu) return { files: [...files], gpu };
  const isFile = (x: string): boolean => /[./\\]/.test(x) && existsSync(x);
  return { files: [...files, ...gpu.filter(isFile)], gpu: gpu.filter((x) => !isFile(x)) };
}

export function runCalibrate(filesArg: readonly string[], oArg: CalibrateOptions, log: (s: string) => void = (s) => process.stdout.write(s)): CalibrationResult[] {
  const split = splitGpuAndFiles(filesArg, oArg.gpu);
  const files = split.files;
  const o = { ...oArg, gpu: split.gpu };
  if (o.e2e) {
    const out = o.out ?? 'docs/accuracy.md';
    let doc = '';
    try {
      doc = readFileSync(out, 'utf8');
    } catch {
      throw new UserError(cliMessages.e2eProfileUnreadable(out));
    }
    writeFileSync(out, withE2eSection(doc));
    log(`wrote the end-to-end section of ${out}\n`);
    return [];
  }
  const catalog = new Catalog(o.modelsDir);
  const dataDir = resolve(o.dataDir ?? defaultDataDir());
  // 1. Resolve what to fit on.
  let jobs: { gpuId: string; fit: string[]; crossCheck: string[]; notes: string[] }[];
  if (files.length > 0) {
    if (!o.gpu || o.gpu.length !== 1) throw new UserError(cliMessages.explicitFilesNeedOneGpu());
    jobs = [{ gpuId: o.gpu[0]!, fit: files.map((f) => resolve(f)), crossCheck: [], notes: [] }];
  } else {
    const ids = o.gpu ?? Object.keys(DATASETS);
    jobs = ids.map((id) => {
      const f = defaultFiles(id, dataDir);
      if (!f) throw new UserError(cliMessages.noDefaultMeasuredData(id, Object.keys(DATASETS).join(', ')));
      return { gpuId: id, ...f, notes: DATASETS[id]!.notes };
    });
  }
  const command = o.command ?? ['npx pdsim calibrate', ...process.argv.slice(3)].join(' ').trim();
  const results: CalibrationResult[] = [];
  for (const job of jobs) {
    // 2. Load: the profile (datasheet peaks) and the measured files.
    const gpu = catalog.loadGpu(job.gpuId);
    const set = loadSamples(job.fit);
    const crossCheck = job.crossCheck.length > 0 ? loadSamples(job.crossCheck) : undefined;
    // 3. Fit, and cross-validate when a report is wanted.
    const r = calibrate(gpu, set, { crossValidate: o.report, crossCheck });
    results.push(r);
    // 4. Print and write.
    if (!o.json && !o.report) {
      log(`${gpu.id}: fitted ${r.fit.fitted.join(', ')}${r.fit.kept.length ? `; kept previous ${r.fit.kept.join(', ')} (no data)` : ''}\n`);
      for (const g of r.inSample) log(`  ${g.group.padEnd(20)} n=${String(g.n).padStart(6)}  median ${g.medianPct.toFixed(1)}%  p90 ${g.p90Pct.toFixed(1)}%  (in-sample)\n`);
      for (const e of r.engineErrors ?? []) {
        log(`  ${e.group.padEnd(20)} n=${String(e.heldOut.n).padStart(6)}  median ${e.heldOut.medianPct.toFixed(1)}%  p90 ${e.heldOut.p90Pct.toFixed(1)}%  (held out, 2-fold)\n`);
        if (e.byBatch) log(`  decode rows / held-out fit by batch (without decodeBatchMs): ${e.byBatch.map((b) => `b${b.batch} ${b.rowOverHeldOut.toFixed(3)} (${b.withoutTerm.toFixed(3)})`).join(', ')}\n`);
      }
      for (const c of r.fit.copies) log(`  copy ${c.kind} ${c.pinned ? 'pinned' : 'pageable'}: ${c.bandwidthGBps.toFixed(1)} GB/s, ${c.latencyUs.toFixed(1)} us latency (${c.points} points)\n`);
    }
    if (o.write) for (const f of writeProfiles(catalog, r, command, job.notes)) if (!o.json) log(`wrote ${f}\n`);
  }
  if (o.report) {
    const md = withE2eSection(reportMarkdown(results, 'npx pdsim calibrate --report --out docs/accuracy.md'));
    if (o.out) writeFileSync(o.out, md);
    else log(md);
  }
  if (o.json) log(`${JSON.stringify(results.map((r) => ({ gpu: r.gpu.id, perf: r.fit.perf, fitted: r.fit.fitted, kept: r.fit.kept, inSample: r.inSample, heldOut: r.heldOut?.rows })), null, 2)}\n`);
  return results;
}

export function register(program: Command): void {
  program
    .command('calibrate')
    .description('Fit GPU perf-model efficiencies to measured operator timings (vidur, aiconfigurator, pdsim profiler CSVs)')
    .argument('[files...]', 'measured CSV files (default: the data set of each calibrated GPU under --data-dir)')
    .option('--gpu <id...>', 'GPU profile(s) to calibrate (models/gpu/<id>.json)')
    .option('--data-dir <dir>', 'root of the measured data (default: models/data in the package; .csv or .csv.gz)')
    .option('--write', 'write the fitted perf parameters and provenance into models/gpu/<id>.json')
    .option('--report', 'also fit leaving one model out at a time and report held-out errors (markdown)')
    .option('--out <file>', 'write the --report markdown to this file instead of stdout')
    .option('--json', 'print the fit as JSON')
    .option('--e2e', 'rewrite only the end-to-end section (real vLLM measurements in models/data/e2e) of --out (default docs/accuracy.md)')
    .action((files: string[], o: CalibrateOptions) => {
      runCalibrate(files, o);
    });
}
