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
import { makeLengthSampler } from './lengths.js';
import { MOONCAKE_BLOCK_TOKENS, readLengthColumn, readTrace } from './traces.js';

/** Block size of synthetic prefix hashes, tokens (vLLM's default KV block). */
export const SYNTHETIC_PREFIX_BLOCK_TOKENS = 16;

export interface Workload {
  /** Number of requests the stream will yield. */
  count: number;
  requests(): Iterable<RequestSpec>;
}

function interArrival(w: WorkloadSpec, streams: RandomStreams, file: string): () => number {
  const a = w.arrival ?? { process: 'poisson' as const };
  if (a.process === 'all-at-once') return () => 0;
  const rate = a.rate;
  if (rate === undefined) throw new UserError(`arrival process "${a.process}" needs "rate" (requests/s)`, file, '/workload/arrival/rate');
  const rng = streams.stream('arrivals');
  if (a.process === 'constant') return () => 1 / rate;
  if (a.process === 'poisson') return () => rng.exponential(1 / rate);
  // Gamma as in vllm bench serve: shape = burstiness, scale = 1 / (rate * burstiness), so the mean stays 1/rate.
  const shape = a.burstiness ?? 1;
  return () => rng.gamma(shape, 1 / (rate * shape));
}

export function makeWorkload(w: WorkloadSpec, baseDir: string, file: string, streams: RandomStreams): Workload {
  if (w.trace) {
    const tracePath = path.resolve(baseDir, w.trace.path);
    if (!existsSync(tracePath)) throw new UserError(`trace file ${tracePath} not found (paths are relative to the scenario file)`, file, '/workload/trace/path');
    const rows = readTrace(tracePath, w.trace.format);
    const scale = w.trace.timeScale;
    const start = w.trace.startOffsetS;
    const selected = rows.filter((r) => r.arrivalS >= start).slice(0, w.requests);
    if (selected.length === 0) throw new UserError(`no request arrives after startOffsetS ${start}`, file, '/workload/trace/startOffsetS');
    const t0 = selected[0]!.arrivalS;
    const blockTokens = w.trace.format === 'mooncake' ? MOONCAKE_BLOCK_TOKENS : undefined;
    return {
      count: selected.length,
      *requests() {
        for (let i = 0; i < selected.length; i++) {
          const r = selected[i]!;
          yield {
            id: i,
            arrivalS: (r.arrivalS - t0) * scale,
            promptTokens: Math.max(1, r.promptTokens),
            outputTokens: Math.max(1, r.outputTokens),
            prefixHashes: r.prefixHashes,
            prefixBlockTokens: r.prefixHashes ? blockTokens : undefined,
          };
        }
      },
    };
  }
  if (!w.input || !w.output) throw new UserError('a synthetic workload needs "input" and "output" length distributions (or a "trace")', file, w.input ? '/workload/output' : '/workload/input');
  const loadValues = (spec: NonNullable<typeof w.input>, where: string) => {
    if (spec.dist !== 'empirical') return undefined;
    if (!spec.path || !spec.column) throw new UserError('empirical needs "path" and "column"', file, `${where}/${spec.path ? 'column' : 'path'}`);
    return readLengthColumn(path.resolve(baseDir, spec.path), spec.column);
  };
  const inputValues = loadValues(w.input, '/workload/input');
  const outputValues = loadValues(w.output, '/workload/output');
  const input = w.input;
  const output = w.output;
  const sharing = w.prefixSharing;
  return {
    count: w.requests,
    *requests() {
      const gap = interArrival(w, streams, file);
      // As `vllm bench serve`: random delays are rescaled so the N requests span exactly N / rate.
      // The scale needs the sum of all delays, so a first pass draws them from a twin stream (same
      // seed and name, same draws) and keeps only the sum: memory stays O(1).
      const a = w.arrival;
      let scale = 1;
      if (a?.rescale !== false && (a?.process === 'poisson' || a?.process === 'gamma' || a === undefined) && a?.rate !== undefined) {
        const twin = interArrival(w, streams, file);
        let sum = 0;
        for (let i = 0; i < w.requests; i++) sum += twin();
        if (sum > 0) scale = w.requests / a.rate / sum;
      }
      const inLen = makeLengthSampler(input, streams.stream('input-lengths'), '/workload/input', file, inputValues);
      const outLen = makeLengthSampler(output, streams.stream('output-lengths'), '/workload/output', file, outputValues);
      const groups = streams.stream('prefix-groups');
      let t = 0;
      for (let id = 0; id < w.requests; id++) {
        t += gap() * scale;
        const promptTokens = inLen();
        const spec: RequestSpec = { id, arrivalS: t, promptTokens, outputTokens: outLen() };
        if (sharing && sharing.sharedPrefixTokens > 0) {
          const g = groups.intBetween(0, sharing.groups - 1);
          const bt = SYNTHETIC_PREFIX_BLOCK_TOKENS;
          const sharedBlocks = Math.floor(Math.min(sharing.sharedPrefixTokens, promptTokens) / bt);
          const total = Math.ceil(promptTokens / bt);
          const hashes: number[] = [];
          // Shared blocks get ids per group; the rest are unique to the request (negative ids cannot collide).
          for (let b = 0; b < total; b++) hashes.push(b < sharedBlocks ? g * 1_000_000 + b : -(id * 100_000 + b + 1));
          spec.prefixHashes = hashes;
          spec.prefixBlockTokens = bt;
        }
        yield spec;
      }
    },
  };
}
