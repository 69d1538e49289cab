/**
 * The build's half of the trace cache (src/workload/trace-cache.ts): each shipped trace parsed once
 * by the run's own readers, whole (every row, no start offset), and written with the size and SHA-1
 * of the trace file it came from. A run then takes its rows from these exact doubles.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseMooncakeColumns } from '../workload/mooncake-columns.js';
import { encodeTraceCache, fileSha1, traceCacheFile, type CachedTrace } from '../workload/trace-cache.js';
import { parseTraceColumns } from '../workload/trace-columns.js';
import type { TraceFormat } from '../workload/traces.js';
import { writeAtomic } from './script-runner.js';

/** Every row of `traceFile` as the run's reader for `format` keeps them. */
export function parseWholeTrace(traceFile: string, format: TraceFormat): CachedTrace {
  if (format !== 'mooncake') return parseTraceColumns(traceFile, format, Infinity, 0);
  const c = parseMooncakeColumns(traceFile, Infinity, 0);
  return { count: c.count, arrivalS: c.arrivalS, promptTokens: c.promptTokens, outputTokens: c.outputTokens, hashes: { start: c.hashStart, ids: c.hashIds, has: c.hasHashes } };
}

/** Writes the cache file of `traceFile` into `dir` and returns its path. */
export function writeTraceCache(dir: string, traceFile: string, format: TraceFormat): string {
  const trace = parseWholeTrace(traceFile, format);
  const file = traceCacheFile(dir, traceFile, format);
  mkdirSync(dir, { recursive: true });
  writeAtomic(file, encodeTraceCache(trace, format, statSync(traceFile).size, fileSha1(traceFile)));
  return file;
}

/** The cache files of the shipped traces present under `tracesDir` (a checkout may lack some). */
export function writeTraceCaches(dir: string, tracesDir: string, traces: readonly { trace: string; format: TraceFormat }[]): string[] {
  return traces.filter((t) => existsSync(path.join(tracesDir, t.trace))).map((t) => writeTraceCache(dir, path.join(tracesDir, t.trace), t.format));
}
