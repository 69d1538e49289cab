/**
 * Reads measured-data files, recognises their format from the header, and turns them into samples
 * plus provenance (path and sha256). A file whose header matches no known format is refused with
 * the columns that were expected.
 */
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { UserError } from '../errors.js';
import { readTextFile } from '../package-files.js';
import { parseCsv, type CsvTable } from './csv.js';
import { parseAicContextAttention, parseAicCustomAllReduce, parseAicGemm, parseAicGenerationAttention, parseAicNccl } from './parse-aiconfigurator.js';
import { parsePdsimProfile, PDSIM_PROFILE_COLUMNS } from './parse-pdsim.js';
import { parseVidurAllReduce, parseVidurCpuOverheads, parseVidurMlp, VIDUR_MLP_COLUMNS } from './parse-vidur.js';
import { emptySampleSet, type SampleSet } from './samples.js';
import { calibrateMessages } from '../messages/calibrate.js';

type Detector = { format: string; match: (h: Set<string>, t: CsvTable) => boolean; parse: (t: CsvTable, file: string) => SampleSet };

function only<K extends keyof SampleSet>(key: K, value: SampleSet[K]): SampleSet {
  const s = emptySampleSet();
  s[key] = value;
  return s;
}

const opNames = (t: CsvTable): Set<string> => {
  const i = t.header.indexOf('op_name');
  return new Set(i < 0 ? [] : t.rows.slice(0, 50).map((r) => r.cells[i]!.trim()));
};

const DETECTORS: Detector[] = [
  { format: 'pdsim-profile', match: (h) => PDSIM_PROFILE_COLUMNS.every((c) => h.has(c)), parse: (t) => parsePdsimProfile(t) },
  // vidur's layout is <gpu>/<org>/<model>/mlp.csv: the model folder names the shape.
  { format: 'vidur-mlp', match: (h) => VIDUR_MLP_COLUMNS.every((c) => h.has(c)), parse: (t, f) => only('layers', parseVidurMlp(t, basename(dirname(f)))) },
  { format: 'vidur-all-reduce', match: (h) => h.has('time_stats.all_reduce.median'), parse: (t) => only('allReduce', parseVidurAllReduce(t)) },
  { format: 'vidur-cpu-overheads', match: (h) => h.has('schedule_median') && h.has('process_model_outputs_median'), parse: (t) => only('cpu', parseVidurCpuOverheads(t)) },
  { format: 'aiconfigurator-gemm', match: (h) => h.has('gemm_dtype') && h.has('latency'), parse: (t) => only('gemm', parseAicGemm(t)) },
  { format: 'aiconfigurator-context-attention', match: (h, t) => h.has('isl') && opNames(t).has('context_attention'), parse: (t) => only('prefill', parseAicContextAttention(t)) },
  { format: 'aiconfigurator-generation-attention', match: (h, t) => h.has('isl') && opNames(t).has('generation_attention'), parse: (t) => only('decode', parseAicGenerationAttention(t)) },
  { format: 'aiconfigurator-nccl', match: (h) => h.has('nccl_dtype') && h.has('message_size'), parse: (t) => only('allReduce', parseAicNccl(t)) },
  { format: 'aiconfigurator-custom-allreduce', match: (h) => h.has('allreduce_dtype') && h.has('backend'), parse: (t) => only('allReduce', parseAicCustomAllReduce(t)) },
];

export const KNOWN_FORMATS = DETECTORS.map((d) => d.format);

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Parses text already read; `file` is used for messages and for vidur's model name. */
export function parseSourceText(text: string, file: string): SampleSet {
  const table = parseCsv(text, file);
  const h = new Set(table.header);
  const d = DETECTORS.find((x) => x.match(h, table));
  if (d === undefined) {
    throw new UserError(
      calibrateMessages.unrecognisedCsvHeader(JSON.stringify(table.header.slice(0, 6).join(',')), table.header.length > 6 ? ',...' : '', KNOWN_FORMATS.join(', ')),
      file,
      'line 1',
    );
  }
  const set = d.parse(table, file);
  set.sources = [{ file, sha256: sha256Hex(text), format: d.format, rows: table.rows.length }];
  return set;
}

export function readSource(file: string, displayName: string = file): SampleSet {
  let text: string;
  try {
    text = readTextFile(file);
  } catch (e) {
    throw new UserError(calibrateMessages.cannotReadMeasuredData((e as NodeJS.ErrnoException).code ?? (e as Error).message), displayName);
  }
  const set = parseSourceText(text, file);
  set.sources[0]!.file = displayName;
  return set;
}
