/**
 * User-facing error messages of src/calibrate, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
export const calibrateMessages = {
  // src/calibrate/csv.ts
  unterminatedQuotedField: (): string => `unterminated quoted field`,
  emptyCsvFile: (): string => `empty file: expected a CSV header line`,
  fieldCountNotHeader: (headerLength: number, cellsLength: number): string => `expected ${headerLength} fields as in the header, found ${cellsLength}`,
  missingColumnsForFormat: (format: string, missing: string): string => `not a ${format} file: missing column(s) ${missing}`,
  missingColumn: (name: string): string => `missing column ${name}`,
  notANumber: (s: string): string => `expected a number, found ${s}`,
  notAPositiveNumber: (s: string): string => `expected a positive number, found ${s}`,
  notANonNegativeNumber: (s: string): string => `expected a non-negative number, found ${s}`,
  notAnInteger: (s: string): string => `expected an integer, found ${s}`,
  notABoolean: (s: string): string => `expected true or false, found ${s}`,
  // src/calibrate/fit.ts
  tooFewMeasuredPoints: (group: string, points: number, distinctSizes: number, needPoints: number, needSizes: number): string => `too few measured points to fit ${group}: ${points} points over ${distinctSizes} distinct sizes (need at least ${needPoints} points over ${needSizes} sizes); refusing to extrapolate`,
  // src/calibrate/fit-iterations.ts
  tooFewIterationShapes: (pre: number, batches: number, kvs: number): string => `too few measured iteration shapes to fit a device profile: ${pre} prefill sizes, ${batches} decode batch sizes, ${kvs} KV lengths (need at least 4, 3 and 2); refusing to extrapolate`,
  // src/calibrate/parse-aiconfigurator.ts
  cachedPrefixAttentionUnsupported: (step: number): string => `context attention with a cached prefix (step ${step}) is not supported`,
  // src/calibrate/parse-pdsim.ts
  headDimTimesHeadsNotHidden: (): string => `head_dim x num_heads must equal hidden_size`,
  unknownOp: (op: string): string => `unknown op ${op}; expected gemm, attn_prefill, attn_decode, copy_h2d, copy_d2h, copy_bidir, copy_d2d, all_reduce, iter_prefill or iter_decode`,
  // src/calibrate/sources.ts
  unrecognisedCsvHeader: (value: string, value2: string, KNOWN_FORMATS: string): string => `unrecognised CSV (header ${value}${value2}); expected one of: ${KNOWN_FORMATS}`,
  cannotReadMeasuredData: (value: string): string => `cannot read measured data: ${value}`,
  // src/calibrate/profile-writer.ts
  cannotReadGpuProfile: (message: string): string => `cannot read the GPU profile to update: ${message}`,
};
