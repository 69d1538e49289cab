/**
 * User-facing error messages of src/workload, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
export const workloadMessages = {
  // src/workload/arrivals.ts
  rampUpNeedsProcess: (): string => `a ramp-up needs process poisson, gamma or constant (all-at-once has no rate to ramp)`,
  rateAndRampUp: (): string => `give either "rate" or "rampUp", not both (vllm bench serve refuses --request-rate with a ramp-up)`,
  arrivalProcessNeedsRate: (process: string): string => `arrival process "${process}" needs "rate" (requests/s)`,
  // src/workload/lengths.ts
  distNeedsField: (dist: string, field: string): string => `dist "${dist}" needs field "${field}"`,
  minLargerThanMax: (min: number, max: number): string => `min (${min}) is larger than max (${max})`,
  emptyEmpirical: (): string => `empirical distribution has no values`,
  // src/workload/traces.ts
  columnNotTokenCount: (column: string, value: string): string => `column "${column}" must be a positive integer (tokens), got "${value}"`,
  emptyTraceFile: (): string => `trace has no header and no requests`,
  missingTraceColumn: (r: string, cells: string): string => `missing column "${r}" in the header (found: ${cells})`,
  badTimestampColumn: (value: string): string => `column "TIMESTAMP" must be a date and time like "2023-11-16 18:15:46.6805900" (optionally with a zone, "+01:00" or "Z"), got "${value}"`,
  invalidMooncakeLine: (): string => `not valid JSON (Mooncake traces have one JSON object a line)`,
  notAMooncakeRecord: (): string => `expected a JSON object with timestamp, input_length, output_length`,
  keyNotTokenCount: (k: string, value: string): string => `key "${k}" must be a positive integer (tokens), got ${value}`,
  badTimestampKey: (value: string): string => `key "timestamp" must be a non-negative number of milliseconds, got ${value}`,
  hashIdsNotIntegers: (): string => `key "hash_ids" must be an array of integers`,
  cellCountMismatch: (width: number, value: string, cellsLength: number): string => `expected ${width} cells as in the header (${value}), got ${cellsLength}`,
  badArrivedAtColumn: (value: string): string => `column "arrived_at" must be a non-negative number of seconds, got "${value}"`,
  traceNotSorted: (value: string, prevLine: number): string => `arrival time goes back ${value} s from the request on line ${prevLine}: traces must be sorted by arrival`,
  traceHasNoRequests: (): string => `trace has no requests`,
  invalidJsonLine: (): string => `not valid JSON (expected one JSON object a line)`,
  noLengthsInColumn: (column: string): string => `no lengths in the file (column "${column}")`,
  // src/workload/generator.ts
  traceFileNotFound: (tracePath: string): string => `trace file ${tracePath} not found (paths are relative to the scenario file)`,
  noRequestAfterStartOffset: (start: number): string => `no request arrives after startOffsetS ${start}`,
  syntheticNeedsLengths: (): string => `a synthetic workload needs "input" and "output" length distributions (or a "trace")`,
  empiricalNeedsPathAndColumn: (): string => `empirical needs "path" and "column"`,
  prefixLenAndSharing: (): string => `give either "prefixLen" (one prefix shared by every prompt, as --random-prefix-len) or "prefixSharing", not both`,
};
