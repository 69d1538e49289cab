/**
 * Writes fitted perf parameters into a GPU profile JSON (models/gpu/<id>.json), keeping every
 * datasheet field as it is and recording where the numbers came from.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { GpuPerfParams } from '../model/gpu.js';
import type { GroupError } from './fit-profile.js';
import type { HeldOutRow } from './crossval.js';
import type { SourceFile } from './samples.js';
import { calibrateMessages } from '../messages/calibrate.js';

export interface Provenance {
  sources: { file: string; sha256: string; format: string; rows: number }[];
  date: string;
  command: string;
  fitted: string[];
  keptFromPrevious: string[];
  fitError: { inSample: GroupError[]; heldOut?: HeldOutRow[] };
  notes: string[];
  transferredFrom?: string;
  /** Measured copy latency/bandwidth (pdsim profiler), for the host-link profiles. */
  copies?: unknown[];
}

const round = (x: number, digits = 4) => Number(x.toPrecision(digits));

/** Rounds every number to 4 significant digits: a fit is not more precise than that, and diffs stay readable. */
export function roundDeep<T>(v: T): T {
  if (typeof v === 'number') return (Number.isInteger(v) ? v : round(v)) as T;
  if (Array.isArray(v)) return v.map(roundDeep) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundDeep(x)])) as T;
  return v;
}

export function provenanceSources(s: readonly SourceFile[]): Provenance['sources'] {
  return s.map((x) => ({ file: x.file, sha256: x.sha256, format: x.format, rows: x.rows }));
}

export function writeCalibratedProfile(file: string, perf: GpuPerfParams, provenance: Provenance, expectedError: string): void {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(calibrateMessages.cannotReadGpuProfile((e as Error).message), file);
  }
  json.perf = roundDeep(perf);
  json.calibrated = true;
  json.expectedError = expectedError;
  json.provenance = roundDeep(provenance);
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
}
