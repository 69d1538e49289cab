/**
 * Decode fast-forward of an engine instance (src/serving/instance.ts): while the batch is
 * decode-only and nothing can join it, every iteration has the same shape; the instance then
 * advances many iterations in one event, doing per-iteration work in O(1) and per-request work once
 * per segment. It stops at the first iteration boundary at or after the next pending event that
 * can act on an engine (Simulator.peekHorizon: lane events such as client sends count at their
 * lookahead), so
 * whatever that event does is seen exactly as step-by-step simulation would see it; when the
 * segment's last iteration finishes requests before any other event, continueAfterFinish applies
 * that iteration and the finishes itself and carries on with the smaller batch. A test
 * (fast-forward.test.ts) checks that both modes give byte-identical results.
 *
 * Plain functions over the instance's fields (SegmentEngine, which EngineInstance satisfies), not
 * methods: the engine stays a readable size, and the hot path gains no closure or dispatch (one
 * class ever reaches these functions, so every field access stays monomorphic).
 */
import type { Simulator } from '../kernel/simulator.js';
import type { BlockManager } from '../kv/block-manager.js';
import type { PerfModel } from '../perf/perf-model.js';
import { decodeRunByCalls, type EngineSink } from './engine-sink.js';
import type { GpuTurns } from './gpu-turns.js';
import type { InstanceConfig, InstanceHooks } from './instance-config.js';
import type { KvConnector } from './kv-connector/index.js';
import type { KvTiers } from './kv-tiers.js';
import type { RequestState } from './request-state.js';
import type { SinkOrder } from './sink-buffer.js';

/** What fast-forward reads and writes of an engine instance (its fields, not a copy). */
export interface SegmentEngine {
  readonly cfg: InstanceConfig;
  readonly sim: Simulator;
  readonly perf: PerfModel;
  readonly sink: EngineSink;
  readonly hooks: InstanceHooks;
  readonly blocks: BlockManager;
  readonly name: string;
  readonly waiting: readonly RequestState[];
  readonly running: readonly RequestState[];
  readonly connector: KvConnector;
  readonly tiers: KvTiers | null;
  readonly turns: GpuTurns | null;
  readonly weightFlow: ((bytes: number, onDone: () => void) => void) | null;
  readonly finishedScratch: RequestState[];
  /** continueAfterFinish's survivor batches: two arrays, alternated (survivorFlip picks the next). */
  readonly survivorsA: RequestState[];
  readonly survivorsB: RequestState[];
  survivorFlip: boolean;
  busyS: number;
  iterations: number;
  scheduled: RequestState[];
  lastStartS: number;
  /** End times of a fast-forward segment's iterations (reused: no allocation per segment). */
  runEndsS: Float64Array;
  /** The run's order of held sink calls (sink-buffer.ts). */
  readonly order: SinkOrder;
  /** An open plan (planSegment): its batch, iterations (ends in runEndsS), next held iteration, start, and iteration 1's same-gap count. */
  planOpen: boolean;
  planBatch: RequestState[];
  planK: number;
  planNext: number;
  planStartS: number;
  planSame: number;
  /** End of iteration planNext while its calls are held, else Infinity (read by SinkOrder.drain). */
  planDueS: number;
  leave(r: RequestState, timeS: number): void;
  /** Async scheduling: moves the arrivals held during the step in flight to the waiting queue (as step() does after its schedule); whether there were any. */
  admitLateArrivals(): boolean;
  retire(finished: readonly RequestState[], n: number, survivors: readonly RequestState[], timeS: number): void;
  finishIterationAccounting(startS: number, endS: number, batchSize: number, newTokens: number, kind: 'prefill' | 'decode' | 'mixed'): void;
  /** Whether iterations may complete ahead of the clock (EngineInstance.runsAhead). */
  runsAhead(): boolean;
}

/**
 * Extends a decode-only iteration (scheduled, blocks allocated, accounted) into a segment of K
 * identical-shape iterations. Iterations 1..K-1 are applied here in aggregate; the K-th is left to
 * endIteration, which processes it exactly as in step-by-step mode. Returns the segment's end
 * time, or null to run step by step. Every float is computed by the same operations, in the same
 * order, as step-by-step simulation would compute it.
 */
export function fastForward(inst: SegmentEngine, batch: RequestState[], startS: number, firstEndS: number, context0: number, c: { fixedMs: number; perContextTokenMs: number }, minLeft = -1, extra2 = 0): number | null {
  // (c) Stop at the first boundary at or after the next pending event that can act on an engine
  // (the kernel's horizon: a client's send reaches the engines only after its API-server delay,
  // so it is counted at its hand-off time). Tested first, as the cheapest: an event due within
  // iteration 1 leaves nothing to fast-forward.
  const nextEventS = inst.sim.peekHorizon();
  if (firstEndS >= nextEventS) return null;
  const kMax = segmentLimit(inst, batch, startS, minLeft, extra2);
  const B = batch.length;
  const same = limitSame;
  if (kMax < 0) {
    // Iteration 1 alone finishes a request (a prompt's second token is its last, or a segment's
    // survivor ends next): where the engine would complete it ahead of the clock anyway (runFrom),
    // apply it and carry on as after a segment's last iteration, rather than a step of its own.
    // Its gaps must all be this iteration (continueAfterFinish records them as one weighted gap).
    if (limitNext1 && same === B && inst.runsAhead()) return continueAfterFinish(inst, batch, startS, firstEndS);
    return null;
  }
  // Iteration 1's outputs, as endIteration would record them (gaps of their own first, in batch order).
  if (same < B) for (const r of batch) if (r.lastTokenS !== startS) inst.sink.itl(firstEndS - r.lastTokenS, 1);
  if (same > 0) inst.sink.itl(firstEndS - startS, same);
  inst.sink.tokens(firstEndS, B);
  if (firstEndS >= inst.sink.nextGaugeS) gaugesMidSegment(inst, batch, 1, firstEndS);
  let t = +firstEndS;
  let ctx = context0 + B;
  let k = 1;
  // Iterations 2..k go to the sink in runs (decodeRun), cut only where gauges are sampled so every
  // figure sees its calls in step-by-step order.
  let ends = inst.runEndsS;
  let m = 0;
  let runStartS = firstEndS;
  for (;;) {
    const start = t;
    t = start + (c.fixedMs + c.perContextTokenMs * ctx) / 1000;
    k++;
    ctx += B;
    inst.busyS += t - start;
    if (m === ends.length) {
      const grown = new Float64Array(2 * m);
      grown.set(ends);
      ends = inst.runEndsS = grown;
    }
    ends[m++] = t;
    if (k >= kMax || t >= nextEventS) break;
    // Iteration k (not the last): every request's gap is this iteration.
    if (t >= inst.sink.nextGaugeS) {
      decodeRun(inst, runStartS, m, m, B);
      runStartS = ends[m - 1]!;
      m = 0;
      gaugesMidSegment(inst, batch, k, runStartS);
    }
  }
  // The ends of iterations k and k - 1 read back from `ends`, not carried out of the loop: a loop
  // variable that is also a call argument is kept boxed by TurboFan, a heap number allocated per
  // iteration (~45 MB a parity run); used only in arithmetic, `t` stays a raw double.
  const endS = ends[m - 1]!;
  const prevEnd = m >= 2 ? ends[m - 2]! : runStartS;
  inst.iterations += k - 1;
  decodeRun(inst, runStartS, m, m - 1, B);
  // Iteration k finishes a request before any other event: carry on past it when nothing can
  // join the smaller batch, doing here what endIteration and step() would do at endS. The
  // iterations before it are applied in the same pass as continueAfterFinish's checks.
  if (k === kMax && endS < nextEventS && carriesOn(inst)) return applyAndContinue(inst, batch, k, prevEnd, endS) ?? endS;
  applyIterations(inst, batch, k, prevEnd);
  return endS;
}

/** continueAfterFinish's checks on the engine (not its batch): nothing that could join or see the smaller batch. */
function carriesOn(inst: SegmentEngine): boolean {
  return !(inst.waiting.length > 0 || inst.cfg.decodePolicy !== undefined || inst.hooks.onLeave || inst.connector.leavesAfterPrefill || inst.tiers !== null || inst.turns !== null || inst.weightFlow !== null);
}

/**
 * applyIterations(batch, k, prevEndS) and continueAfterFinish(batch, prevEndS, endS)'s checks in one
 * pass over the batch (each request's checks read it as applied): the segment's last iteration is
 * then carried on (continueAfterFinish's second part), or null with the iterations applied, as
 * applyIterations alone would leave them. A pass per segment fewer.
 */
function applyAndContinue(inst: SegmentEngine, batch: RequestState[], k: number, prevEndS: number, endS: number): number | null {
  const bs = inst.cfg.blockSizeTokens;
  const done = k - 1;
  const running = inst.running;
  let extraK = 0;
  let ok = true;
  let survivors = 0;
  let freed = 0;
  let need = 0;
  for (let i = 0; i < batch.length; i++) {
    const r = batch[i]!;
    // applyIterations' update.
    const blocks = r.blocks + blocksBeyond(r.numComputed + k, r.blocks + r.hashedBlocks, bs);
    extraK += blocks - r.blocks;
    r.blocks = blocks;
    const computed = (r.numComputed += done);
    r.numTokens += done;
    const generated = (r.generated += done);
    r.lastTokenS = prevEndS;
    r.scheduled = 1;
    // continueAfterFinish's first pass, on the request as updated.
    if (r.hashedBlocks > 0 || running[i] !== r) ok = false;
    if (generated + 1 >= r.outputTokens) freed += blocks;
    else {
      survivors++;
      const t = computed + 2;
      if (t > blocks * bs) need += Math.ceil(t / bs) - blocks;
    }
  }
  inst.blocks.allocate(extraK);
  inst.lastStartS = prevEndS;
  if (!ok || survivors === 0 || need > inst.blocks.availableBlocks + freed) return null;
  return carryOn(inst, batch, prevEndS, endS);
}

/**
 * At the end `endS` of a segment's last iteration (started at `startS`), where some requests of
 * `batch` sample their last token: when the rest would simply run on as a decode batch (nothing
 * waiting, no prefix blocks held, no KV tiers, shared GPU or weight stream, no leave hook, blocks
 * for one more token each), applies that iteration and the finishes as endIteration would,
 * schedules the survivors' next iteration as step() would, and extends it into the next segment.
 * Returns that segment's end, or null (nothing changed) to leave the iteration to endIteration.
 */
export function continueAfterFinish(inst: SegmentEngine, batch: RequestState[], startS: number, endS: number, checkDecode = false): number | null {
  // Prefix caching may be on (vLLM's default) as long as no request holds prefix blocks: then
  // leaving and scheduling touch only anonymous block counts (checked per request below).
  if (inst.waiting.length > 0 || inst.cfg.decodePolicy !== undefined || inst.hooks.onLeave || inst.connector.leavesAfterPrefill || inst.tiers !== null || inst.turns !== null || inst.weightFlow !== null) return null;
  const bs = inst.cfg.blockSizeTokens;
  let survivors = 0;
  let freed = 0;
  let need = 0;
  const running = inst.running;
  for (let i = 0; i < batch.length; i++) {
    const r = batch[i]!;
    // The batch is the running queue in its order (retire below relies on it).
    if (r.hashedBlocks > 0 || running[i] !== r) return null;
    // An iteration ended at an event (continueBeforeLateJoin): each request must have decoded one
    // token with its gap this iteration (not a prefill chunk, not skipped the iteration before).
    if (checkDecode && (r.scheduled !== 1 || r.lastTokenS !== startS || r.firstTokenS === null || r.numComputed + 1 !== r.numTokens)) return null;
    if (r.generated + 1 >= r.outputTokens) freed += r.blocks;
    else {
      survivors++;
      // Blocks beyond those held for numComputed + 2 tokens: none unless that is more than they hold,
      // tested with a product (integers: ceil(t / bs) > held exactly when t > held * bs), as the scheduler does.
      const t = r.numComputed + 2;
      if (t > r.blocks * bs) need += Math.ceil(t / bs) - r.blocks;
    }
  }
  if (survivors === 0 || need > inst.blocks.availableBlocks + freed) return null;
  return carryOn(inst, batch, startS, endS);
}

/**
 * continueAfterFinish's second part, its checks passed: the iteration from `startS` to `endS`, the
 * finishes, the survivors' next iteration, and the segment after it. In the same pass over the
 * batch, what segmentLimit's pass would find on the survivors (their fewest tokens left, the blocks
 * they need for a second iteration; every gap of their first is that iteration) is handed to it.
 */
function carryOn(inst: SegmentEngine, batch: RequestState[], startS: number, endS: number): number {
  const bs = inst.cfg.blockSizeTokens;
  // endIteration at endS: every request samples a token, all with this iteration as gap.
  // In the same pass, step() at endS for the survivors: the scheduler gives every running request
  // one token (blocks checked above). The batch is the running queue in its order (fastForward
  // checked they are the same size), so the survivors, in batch order, are what it leaves. Their
  // blocks are taken after the finished ones are freed, as step() would, in one allocate() of
  // the sum: the same blocks from the free pool, then from the LRU, as one call per request.
  const finished = inst.finishedScratch;
  let nFinished = 0;
  // One of the engine's two survivor arrays, alternated (written by index, cut once): `batch` is
  // the other one or the scheduler's, and a batch is read until the next step, never past it.
  const next = (inst.survivorFlip = !inst.survivorFlip) ? inst.survivorsA : inst.survivorsB;
  let nNext = 0;
  let contextTokens = 0;
  let more = 0;
  let minLeft = Infinity;
  let extra2 = 0;
  for (const r of batch) {
    const computed = (r.numComputed += r.scheduled);
    r.lastTokenS = endS;
    const generated = ++r.generated;
    r.numTokens++;
    const left = r.outputTokens - generated;
    if (left <= 0) {
      r.scheduled = 0;
      finished[nFinished++] = r;
    } else {
      let blocks = r.blocks;
      if (computed + 1 > blocks * bs) {
        const add = Math.ceil((computed + 1) / bs) - blocks;
        r.blocks = blocks += add;
        more += add;
      }
      r.scheduled = 1;
      contextTokens += computed;
      next[nNext++] = r;
      // segmentLimit's pass on the survivor (no prefix blocks: checked before).
      if (left < minLeft) minLeft = left;
      extra2 += blocksBeyond(computed + 2, blocks, bs);
    }
  }
  if (next.length !== nNext) next.length = nNext;
  inst.sink.itl(endS - startS, batch.length);
  inst.sink.tokens(endS, batch.length);
  // As leave() for each finished request, in batch order; the running queue (the batch, in its
  // order, checked by fastForward) becomes the survivors in one pass rather than a search per finish.
  inst.retire(finished, nFinished, next, endS);
  if (endS >= inst.sink.nextGaugeS) inst.sink.gauges(inst.name, endS, inst.running.length, inst.waiting.length, inst.blocks.usedBlocks, inst.cfg.numGpuBlocks);
  inst.blocks.allocate(more);
  inst.scheduled = next;
  inst.lastStartS = endS;
  const c = inst.perf.decodeCoefficients(next.length);
  const nextEndS = endS + (c.fixedMs + c.perContextTokenMs * contextTokens) / 1000;
  inst.finishIterationAccounting(endS, nextEndS, next.length, next.length, 'decode');
  // As step() after its schedule: requests that arrived during the iteration that ended now wait
  // (async scheduling), so the segment below stops for them at once (they join after nextEndS).
  inst.admitLateArrivals();
  return (inst.order.planning() ? planSegment(inst, next, endS, nextEndS, contextTokens, c, minLeft, extra2) : fastForward(inst, next, endS, nextEndS, contextTokens, c, minLeft, extra2)) ?? nextEndS;
}

/**
 * At the event `endS` that ends a decode iteration (started at `startS`) while requests that arrived
 * during it wait to join (async scheduling: they join one iteration later, after the one step()
 * would now schedule for the running batch alone): that next iteration is the batch's plain decode
 * iteration, so it is applied as continueAfterFinish applies a segment's last one (the finishes,
 * then the survivors' next iteration scheduled and the arrivals moved to the waiting queue), rather
 * than by endIteration and a schedule of its own. Only where every request of the batch sampled its
 * previous token at `startS` (all gaps are this iteration) and nothing is called per token. Returns
 * the end of the iteration scheduled, or null (nothing changed) to leave it to endIteration.
 */
export function continueBeforeLateJoin(inst: SegmentEngine, batch: RequestState[], startS: number, endS: number): number | null {
  if (!inst.cfg.fastForward || inst.hooks.onTokens !== undefined || batch.length !== inst.running.length) return null;
  inst.order.drain(endS);
  return continueAfterFinish(inst, batch, startS, endS, true);
}

function decodeRun(inst: SegmentEngine, startS: number, n: number, emitting: number, batchSize: number): void {
  if (inst.sink.decodeRun) inst.sink.decodeRun(inst.name, startS, inst.runEndsS, n, emitting, batchSize);
  else decodeRunByCalls(inst.sink, inst.name, startS, inst.runEndsS, n, emitting, batchSize);
}

/** Blocks to add, beyond those held for iteration 1, to hold c_i + k tokens for every request. */
function extraBlocksFor(inst: SegmentEngine, batch: RequestState[], k: number): number {
  const bs = inst.cfg.blockSizeTokens;
  let s = 0;
  for (const r of batch) s += Math.ceil((r.numComputed + k) / bs) - r.blocks - r.hashedBlocks;
  return s;
}

function gaugesMidSegment(inst: SegmentEngine, batch: RequestState[], k: number, t: number): void {
  let used = inst.blocks.usedBlocks;
  const bs = inst.cfg.blockSizeTokens;
  for (const r of batch) used += Math.ceil((r.numComputed + k) / bs) - r.blocks - r.hashedBlocks;
  inst.sink.gauges(inst.name, t, inst.running.length, inst.waiting.length, used, inst.cfg.numGpuBlocks);
}

/**
 * Per-instance fast-forward (several replicas: see sink-buffer.ts). The decode-only iteration of
 * fastForward, extended into a plan of K iterations to the segment's own end (the first finish,
 * or the blocks' bound), not to the next event of any engine: the plan's end is this engine's next
 * event, and nothing is applied yet. The requests keep their state of the plan's start, and the
 * plan's sink calls are held: SinkOrder.drain makes them in time order with other engines' calls
 * (flushPlan). Whatever would act on the engine first settles the plan at its clock (settlePlan,
 * from EngineInstance.sync: a hand-off to it, an abort), which applies the iterations that ended
 * by then and leaves the one in flight, exactly the state fastForward would have left had that
 * event been the horizon. A router's load read needs no settling (planOutstandingTokens). Returns
 * the plan's end, or null to run step by step. Same checks and floats as fastForward.
 */
export function planSegment(inst: SegmentEngine, batch: RequestState[], startS: number, firstEndS: number, context0: number, c: { fixedMs: number; perContextTokenMs: number }, minLeft = -1, extra2 = 0): number | null {
  const kMax = segmentLimit(inst, batch, startS, minLeft, extra2);
  if (kMax < 0) return null;
  const B = batch.length;
  const same = limitSame;
  let ends = inst.runEndsS;
  if (kMax > ends.length) {
    let n = ends.length;
    while (n < kMax) n *= 2;
    ends = inst.runEndsS = new Float64Array(n);
  }
  ends[0] = firstEndS;
  // A number from the start (a loop variable started from a parameter stays boxed: fastForward).
  let t = +firstEndS;
  let ctx = context0 + B;
  for (let k = 1; k < kMax; k++) {
    t = t + (c.fixedMs + c.perContextTokenMs * ctx) / 1000;
    ctx += B;
    ends[k] = t;
  }
  inst.planOpen = true;
  inst.planBatch = batch;
  inst.planK = kMax;
  inst.planNext = 0;
  inst.planStartS = startS;
  inst.planSame = same;
  inst.planDueS = firstEndS;
  return t;
}

/**
 * Makes the held calls of the plan's iterations (all but the last, which endIteration reports)
 * that end before `beforeS`, at least the next one: per iteration what endIteration and the next
 * step() would call at its end (gaps, tokens, gauges, the next iteration's accounting), in
 * fastForward's order per figure.
 */
export function flushPlan(inst: SegmentEngine, beforeS: number): void {
  const ends = inst.runEndsS;
  const sink = inst.sink;
  const batch = inst.planBatch;
  const B = batch.length;
  const last = inst.planK - 1;
  let i = inst.planNext;
  do {
    const t = ends[i]!;
    if (i === 0) {
      const startS = inst.planStartS;
      const same = inst.planSame;
      if (same < B) for (const r of batch) if (r.lastTokenS !== startS) sink.itl(t - r.lastTokenS, 1);
      if (same > 0) sink.itl(t - startS, same);
    } else sink.itl(t - ends[i - 1]!, B);
    sink.tokens(t, B);
    if (t >= sink.nextGaugeS) gaugesMidSegment(inst, batch, i + 1, t);
    const next = ends[i + 1]!;
    inst.busyS += next - t;
    inst.iterations++;
    sink.iteration(inst.name, t, next, B, B, 'decode');
    i++;
  } while (i < last && ends[i]! < beforeS);
  inst.planNext = i;
  inst.planDueS = i < last ? ends[i]! : Infinity;
}

/** Makes the held calls due before `atS`, then closes the open plan; returns its batch. */
function closePlan(inst: SegmentEngine, atS: number): RequestState[] {
  inst.order.drain(atS);
  const batch = inst.planBatch;
  inst.planOpen = false;
  inst.planDueS = Infinity;
  inst.planBatch = NO_REQUESTS;
  return batch;
}

/**
 * Closes the plan at `atS` (now, or a time ahead the engine reaches without an event): makes the
 * held calls due before it, then applies the iterations that ended before it to every request and
 * takes the blocks the one in flight needs, as fastForward does. Returns that iteration's end.
 */
export function settlePlan(inst: SegmentEngine, atS: number): number {
  const batch = closePlan(inst, atS);
  const ends = inst.runEndsS;
  const K = inst.planNext + 1;
  if (K > 1) applyIterations(inst, batch, K, ends[K - 2]!);
  return ends[K - 1]!;
}

/**
 * At the open plan's end event `nowS` (its last iteration's end): settlePlan, then continueAfterFinish
 * over the plan's batch, as the engine's iteration end does, with the plan's iterations applied in
 * the same pass as continueAfterFinish's checks (applyAndContinue) where it may carry on. Returns
 * the next segment's end, or null (the plan settled, its last iteration left to endIteration).
 */
export function settleAndContinue(inst: SegmentEngine, nowS: number): number | null {
  const batch = closePlan(inst, nowS);
  const ends = inst.runEndsS;
  const K = inst.planNext + 1;
  // The plan's last iteration ends at its event (settlePlan would return ends[K - 1] === nowS).
  if (K > 1 && batch === inst.scheduled && carriesOn(inst)) return applyAndContinue(inst, batch, K, ends[K - 2]!, nowS);
  if (K > 1) applyIterations(inst, batch, K, ends[K - 2]!);
  return continueAfterFinish(inst, inst.scheduled, inst.lastStartS, nowS);
}

/**
 * Applies iterations 1..k-1 of a segment to every request of `batch` (the last of them ended at
 * `prevEndS`) and takes the blocks iteration k needs (extraBlocksFor(batch, k), summed as the
 * requests take them): the state step by step would leave with iteration k in flight.
 */
function applyIterations(inst: SegmentEngine, batch: RequestState[], k: number, prevEndS: number): void {
  const bs = inst.cfg.blockSizeTokens;
  const done = k - 1;
  let extraK = 0;
  for (const r of batch) {
    const blocks = r.blocks + blocksBeyond(r.numComputed + k, r.blocks + r.hashedBlocks, bs);
    extraK += blocks - r.blocks;
    r.blocks = blocks;
    r.numComputed += done;
    r.numTokens += done;
    r.generated += done;
    r.lastTokenS = prevEndS;
    r.scheduled = 1;
  }
  inst.blocks.allocate(extraK);
  inst.lastStartS = prevEndS;
}

/**
 * Iterations of the open plan that ended before `nowS` (what step by step would have applied when
 * an event at `nowS` reads the engine): each took one token off every request's outstanding count.
 */
export function planIterationsBefore(inst: SegmentEngine, nowS: number): number {
  const ends = inst.runEndsS;
  let lo = 0;
  let hi = inst.planK;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ends[mid]! < nowS) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Blocks the open plan's requests take, beyond those held now, by the time its iteration k is in
 * flight (what settling there allocates): iteration planNext + 1 is the one in flight once the held
 * calls before the clock are made, planK the plan's last.
 */
export function planExtraBlocks(inst: SegmentEngine, k: number): number {
  return k > 1 ? extraBlocksFor(inst, inst.planBatch, k) : 0;
}

const NO_REQUESTS: RequestState[] = [];

/**
 * ceil(t / bs) - held for integers t, held >= 0, bs >= 1, exactly: without a division where `t`
 * falls in the held blocks' last one or the next (almost always, for a token or two more). The
 * division was a quarter of carryOn's samples, run for every request of every segment.
 */
export function blocksBeyond(t: number, held: number, bs: number): number {
  const cap = held * bs;
  if (t > cap) return t <= cap + bs ? 1 : Math.ceil(t / bs) - held;
  return t > cap - bs ? 0 : Math.ceil(t / bs) - held;
}

/** Iteration 1's requests whose last token came at the segment's start (set by segmentLimit: no allocation per call). */
let limitSame = 0;
/** Set by segmentLimit: -1 only because a request of the batch samples its last token in iteration 1. */
let limitNext1 = false;

/**
 * The most iterations a decode segment of `batch` started at `startS` may run (a, b below), or -1
 * when it must run step by step; leaves in limitSame the count of iteration 1's gaps equal to it.
 * `presetLeft` >= 0: the caller's pass over the batch found (a)'s fewest tokens left and (b)'s
 * blocks at k = 2 (`presetExtra2`), every gap of iteration 1 being the segment's start (carryOn).
 */
function segmentLimit(inst: SegmentEngine, batch: RequestState[], startS: number, presetLeft: number, presetExtra2: number): number {
  limitNext1 = false;
  if (inst.waiting.length > 0 && inst.running.length < inst.cfg.maxNumSeqs) return -1;
  if (inst.hooks.onTokens || batch.length !== inst.running.length || batch.length > inst.cfg.maxNumBatchedTokens) return -1;
  if (inst.turns?.contended) return -1; // another instance waits for the GPU after this iteration
  const B = batch.length;
  // One pass over the batch for (a), (b) at k = 2, and iteration 1's gaps (no side effects yet).
  const bs = inst.cfg.blockSizeTokens;
  let kMax = Infinity;
  let extra2 = 0;
  let same = 0;
  if (presetLeft >= 0) {
    kMax = presetLeft;
    extra2 = presetExtra2;
    same = B;
  } else {
    for (let i = 0; i < B; i++) {
      const r = batch[i]!;
      // (a) No request may finish before the last iteration of the segment.
      const left = r.outputTokens - r.generated;
      if (left < kMax) kMax = left;
      extra2 += blocksBeyond(r.numComputed + 2, r.blocks + r.hashedBlocks, bs);
      if (r.lastTokenS === startS) same++;
    }
  }
  limitSame = same;
  // A decode policy (uncapped: see step): its arrangement must keep the order over the segment,
  // and a finishing sequence must not give its slot to a waiting one before the last iteration.
  const pol = inst.cfg.decodePolicy;
  if (pol !== undefined) {
    if (pol.sameIterationEviction && inst.waiting.length > 0) return -1;
    kMax = Math.min(kMax, pol.steadyIterations(batch));
  }
  if (kMax < 2) {
    limitNext1 = pol === undefined;
    return -1;
  }
  // (b) Blocks for all K iterations must be available now, so no preemption can occur inside.
  const avail = inst.blocks.availableBlocks;
  if (extra2 > avail) return -1;
  // extraBlocksFor(batch, kMax) is at most extra2 + B * ceil((kMax - 2) / bs) (ceil(x + y) <=
  // ceil(x) + ceil(y)): when that bound fits, so does kMax, and the exact sum is not needed.
  if (extra2 + B * Math.ceil((kMax - 2) / bs) > avail && extraBlocksFor(inst, batch, kMax) > avail) {
    let lo = 2;
    let hi = kMax;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (extraBlocksFor(inst, batch, mid) <= avail) lo = mid;
      else hi = mid;
    }
    kMax = lo;
  }
  return kMax;
}
