/**
 * The workload: a lazy stream of requests (arrival time, prompt and output lengths, prefix block
 * hashes) from either a synthetic description or a trace. Lazy so that a million-request run
 * never holds the whole workload in memory. Streams: "arrivals", "input-lengths",
 * "output-lengths", "prefix-groups".
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RandomStreams } from '../kernel/random.js';
import { UserError } from '../errors.js';
import type { WorkloadSpec } from './spec.js';
import type { RequestSpec } from '../serving/types.js';
import { arrivalTimes } from './arrivals.js';
import { makeLengthSampler } from './lengths.js';
import { MOONCAKE_BLOCK_TOKENS, readLengthColumn } from './traces.js';
import { mooncakeColumns, rowHashes } from './mooncake-columns.js';
import { workloadMessages } from '../messages/workload.js';
import { traceColumns } from './trace-columns.js';
import { packedDoubles } from '../packed-doubles.js';

/** Block size of synthetic prefix hashes, tokens (vLLM's default KV block). */
export const SYNTHETIC_PREFIX_BLOCK_TOKENS = 16;

export interface Workload {
  /** Number of requests the stream will yield. */
  count: number;
  /**
   * A fresh pull from the first request: each call gives the next, undefined after the last. What a
   * run reads; a generator's `{ value, done }` per request was ~6 MB of the parity run's allocation.
   */
  cursor(): () => RequestSpec | undefined;
  /** The same requests as an iterable (tests, adapters). */
  requests(): Iterable<RequestSpec>;
}

/** A workload from its count and cursor. */
function workloadOf(count: number, cursor: () => () => RequestSpec | undefined): Workload {
  return {
    count,
    cursor,
    *requests() {
      const next = cursor();
      for (let r = next(); r !== undefined; r = next()) yield r;
    },
  };
}

/**
 * A token count read from a Float64Array column as a small integer where it is one (else itself):
 * read as a double it is a heap number in the spec's field (a box per length per request, and a
 * double field kept while the request runs); the value is the same number either way.
 */
function tokenCount(x: number): number {
  const i = x | 0;
  return i === x ? i : x;
}

export function makeWorkload(w: WorkloadSpec, baseDir: string, file: string, streams: RandomStreams): Workload {
  if (w.trace) {
    const tracePath = path.resolve(baseDir, w.trace.path);
    if (!existsSync(tracePath)) throw new UserError(workloadMessages.traceFileNotFound(tracePath), file, '/workload/trace/path');
    const format = w.trace.format;
    const scale = w.trace.timeScale;
    const start = w.trace.startOffsetS;
    const blockTokens = format === 'mooncake' ? MOONCAKE_BLOCK_TOKENS : undefined;
    if (format !== 'mooncake') {
      // CSV traces carry three numbers a row: one validating pass keeps them in typed arrays (24
      // bytes a request replayed), so the run does not parse the file a second time.
      const cols = traceColumns(tracePath, format, w.requests, start);
      if (cols.count === 0) throw new UserError(workloadMessages.noRequestAfterStartOffset(start), file, '/workload/trace/startOffsetS');
      const t0 = cols.arrivalS[0]!;
      return workloadOf(cols.count, () => {
        let i = 0;
        return () => {
          if (i >= cols.count) return undefined;
          const r = { id: i, arrivalS: (cols.arrivalS[i]! - t0) * scale, promptTokens: tokenCount(cols.promptTokens[i]!), outputTokens: tokenCount(cols.outputTokens[i]!), prefixHashes: undefined, prefixBlockTokens: undefined };
          i++;
          return r;
        };
      });
    }
    // Mooncake rows carry prefix hash lists: one validating pass keeps the replayed rows in columns
    // (mooncake-columns.ts), so a bad cell is reported before the run starts and the file is read once.
    const cols = mooncakeColumns(tracePath, w.requests, start);
    if (cols.count === 0) throw new UserError(workloadMessages.noRequestAfterStartOffset(start), file, '/workload/trace/startOffsetS');
    const t0 = cols.arrivalS[0]!;
    return workloadOf(cols.count, () => {
      let i = 0;
      return () => {
        if (i >= cols.count) return undefined;
        const prefixHashes = rowHashes(cols, i);
        const r = {
          id: i,
          arrivalS: (cols.arrivalS[i]! - t0) * scale,
          promptTokens: tokenCount(cols.promptTokens[i]!),
          outputTokens: tokenCount(cols.outputTokens[i]!),
          prefixHashes,
          prefixBlockTokens: prefixHashes ? blockTokens : undefined,
        };
        i++;
        return r;
      };
    });
  }
  if (!w.input || !w.output) throw new UserError(workloadMessages.syntheticNeedsLengths(), file, w.input ? '/workload/output' : '/workload/input');
  const loadValues = (spec: NonNullable<typeof w.input>, where: string) => {
    if (spec.dist !== 'empirical') return undefined;
    if (!spec.path || !spec.column) throw new UserError(workloadMessages.empiricalNeedsPathAndColumn(), file, `${where}/${spec.path ? 'column' : 'path'}`);
    return readLengthColumn(path.resolve(baseDir, spec.path), spec.column);
  };
  const inputValues = loadValues(w.input, '/workload/input');
  const outputValues = loadValues(w.output, '/workload/output');
  const input = w.input;
  const output = w.output;
  if (w.prefixLen !== undefined && w.prefixLen > 0 && w.prefixSharing) {
    throw new UserError(workloadMessages.prefixLenAndSharing(), file, '/workload/prefixLen');
  }
  const prefixLen = w.prefixLen ?? 0;
  // --random-prefix-len: one prefix shared by every prompt, so one prefix group.
  const sharing = prefixLen > 0 ? { sharedPrefixTokens: prefixLen, groups: 1 } : w.prefixSharing;
  return workloadOf(w.requests, () => {
    const times = arrivalTimes(w, streams, file);
    const inLen = makeLengthSampler(input, streams.stream('input-lengths'), '/workload/input', file, inputValues);
    const outLen = makeLengthSampler(output, streams.stream('output-lengths'), '/workload/output', file, outputValues);
    const groups = streams.stream('prefix-groups');
    let id = 0;
    return () => {
      if (id >= w.requests) return undefined;
      const t = times.next().value as number;
      const promptTokens = prefixLen + inLen();
      const spec: RequestSpec = { id, arrivalS: t, promptTokens, outputTokens: outLen() };
      if (sharing && sharing.sharedPrefixTokens > 0) {
        const g = groups.intBetween(0, sharing.groups - 1);
        const bt = SYNTHETIC_PREFIX_BLOCK_TOKENS;
        const sharedBlocks = Math.floor(Math.min(sharing.sharedPrefixTokens, promptTokens) / bt);
        const total = Math.ceil(promptTokens / bt);
        // Filled in place (sharedBlocks <= total): a pushed list was a fifth of a kv-tiers run's allocation.
        const hashes = packedDoubles(total);
        // Shared blocks get ids per group; the rest are unique to the request (negative ids cannot collide).
        for (let b = 0; b < sharedBlocks; b++) hashes[b] = g * 1_000_000 + b;
        for (let b = sharedBlocks; b < total; b++) hashes[b] = -(id * 100_000 + b + 1);
        spec.prefixHashes = hashes;
        spec.prefixBlockTokens = bt;
      }
      id++;
      return spec;
    };
  });
}
