/**
 * Open-loop replay of a workload against a live server: request i is sent at its own arrival
 * offset on the wall clock whatever happened to the others (no concurrency cap, as
 * `vllm bench serve` without --max-concurrency). Each result is appended to a jsonl file as soon
 * as it completes, so an interrupt or a crash keeps everything measured so far.
 *
 * `speed` matches `pdsim serve --speed`: a server running simulated time s times faster than the
 * wall clock is replayed with arrivals s times closer together, and measured times are multiplied
 * by s so that they read in simulated seconds, comparable with the simulation.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RequestSpec } from '../../src/serving/types.js';
import { DEFAULT_VOCAB, promptIds, type VocabRange } from './prompt-ids.js';
import { sendStreamed, type LiveTarget } from './sse-client.js';
import type { LiveRequestResult } from './types.js';

export interface ReplayOptions {
  target: LiveTarget;
  seed: number | string;
  vocab?: VocabRange;
  /** Appended with one JSON line per finished request. */
  jsonlPath?: string;
  /** Simulated seconds per wall second of the server (default 1). */
  speed?: number;
  /** Called as each request finishes (progress display). */
  onResult?: (r: LiveRequestResult) => void;
  /** Stops sending new requests; those in flight finish or time out. */
  signal?: AbortSignal;
  /** Prefix of X-Request-Id values, so server logs can be matched to the run. */
  requestIdPrefix?: string;
}

export interface ReplayOutcome {
  results: LiveRequestResult[];
  /**
   * Start of the run (simulated time 0) to the last completion, seconds (scaled by speed): the
   * bench's benchmark_duration, and the simulator's `duration`.
   */
  durationS: number;
  /** Requests never sent because the run was interrupted. */
  notSent: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Rescales wall-clock measurements into simulated time. */
function scaled(r: LiveRequestResult, speed: number): LiveRequestResult {
  if (speed === 1) return r;
  const s = (v: number | null): number | null => (v === null ? null : v * speed);
  return { ...r, startS: r.startS * speed, ttftMs: s(r.ttftMs), e2elMs: s(r.e2elMs), itlMs: r.itlMs.map((v) => v * speed) };
}

export async function replay(specs: readonly RequestSpec[], opts: ReplayOptions): Promise<ReplayOutcome> {
  const speed = opts.speed ?? 1;
  if (!(speed > 0)) throw new RangeError(`speed must be positive, got ${speed}`);
  if (opts.jsonlPath) mkdirSync(dirname(opts.jsonlPath), { recursive: true });
  const ordered = [...specs].sort((a, b) => a.arrivalS - b.arrivalS || a.id - b.id);
  // Prompts are built before the clock starts so that building them never delays a send.
  const prompts = new Map(ordered.map((s) => [s.id, promptIds(s, opts.seed, opts.vocab ?? DEFAULT_VOCAB)]));
  const results: LiveRequestResult[] = [];
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  let lastEndS = 0;
  let sent = 0;
  for (const spec of ordered) {
    if (opts.signal?.aborted) break;
    const dueMs = (spec.arrivalS / speed) * 1000 - (performance.now() - t0);
    if (dueMs > 0) await sleep(dueMs);
    if (opts.signal?.aborted) break;
    sent++;
    const req = {
      id: spec.id,
      arrivalS: spec.arrivalS,
      promptTokenIds: prompts.get(spec.id)!,
      maxTokens: spec.outputTokens,
      requestId: `${opts.requestIdPrefix ?? 'pdsim'}-${spec.id}`,
    };
    inFlight.push(
      sendStreamed(opts.target, req, t0).then((raw) => {
        const r = scaled(raw, speed);
        lastEndS = Math.max(lastEndS, r.startS + (r.e2elMs ?? 0) / 1000);
        results.push(r);
        if (opts.jsonlPath) appendFileSync(opts.jsonlPath, JSON.stringify(r) + '\n');
        opts.onResult?.(r);
      }),
    );
  }
  await Promise.all(inFlight);
  results.sort((a, b) => a.id - b.id);
  return { results, durationS: lastEndS, notSent: ordered.length - sent };
}
