/**
 * One vLLM-V1-style engine instance: continuous batching under `maxNumBatchedTokens` and
 * `maxNumSeqs`, chunked prefill, paged KV blocks, recompute preemption, optional prefix caching.
 *
 * Each iteration: (1) schedule running requests first (preempting the newest when blocks run out),
 * (2) admit waiting requests if nothing was preempted, (3) price the batch with the perf model,
 * (4) at its end, advance every request and sample tokens.
 *
 * Fast path: while the batch is decode-only and nothing can join it, every iteration has the same
 * shape; the instance then advances many iterations in one event, doing per-iteration work in O(1)
 * and per-request work once per segment. It stops at the first iteration boundary at or after the
 * next pending event, so whatever that event does is seen exactly as step-by-step simulation would
 * see it; a test checks that both give byte-identical results.
 *
 * KV tiers and swap (src/serving/kv-tiers.ts, attached by the composition root): prefix blocks held
 * in CPU/disk tiers are loaded back before a request's prefill, and preemption may swap KV to CPU
 * instead of recomputing it. Fast-forward stays exact with them: every tier action happens in step()
 * or endIteration() (never inside a decode-only segment), and their byte moves end on flow-network
 * events, which end a segment like any other pending event (kv-tiers.test.ts compares both modes).
 */
import type { Simulator } from '../kernel/simulator.js';
import { BlockManager } from '../kv/block-manager.js';
import type { BatchEntry, IterationBreakdown, PerfModel } from '../perf/perf-model.js';
import type { DecodeBatchPolicy } from './scheduler/decode/index.js';
import { decodeRunByCalls, type EngineSink } from './engine-sink.js';
import type { GpuTurns } from './gpu-turns.js';
import type { KvTiers } from './kv-tiers.js';
import { RequestState } from './request-state.js';
import { messages } from '../messages.js';
import { EventPriority } from './event-priorities.js';
import { connectorForRole, NoKvConnector, tiersConnector, type KvConnector } from './kv-connector/index.js';
import { createScheduler, type Scheduler, type SchedulerContext, type SchedulerName } from './scheduler/index.js';

export type InstanceRole = 'colocated' | 'prefill' | 'decode';

export interface InstanceConfig {
  name: string;
  role: InstanceRole;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  blockSizeTokens: number;
  numGpuBlocks: number;
  maxModelLen: number;
  enableChunkedPrefill: boolean;
  enablePrefixCaching: boolean;
  prefillOrder: 'fcfs' | 'shortest-prompt-first';
  fastForward: boolean;
  /** Decode batch policy (src/serving/scheduler/decode/); absent = continuous batching. Disables fast-forward. */
  decodePolicy?: DecodeBatchPolicy;
  /** Scheduler (src/serving/scheduler/index.ts); default vLLM V1's. */
  scheduler?: SchedulerName;
}

export interface InstanceHooks {
  /** Prefill role: the request's KV is complete (its first token was sampled). */
  onPrefillDone?(req: RequestState, timeS: number): void;
  /**
   * Prefill role: at the start of the iteration that completes `req`'s prompt, its timing (layer-wise
   * KV streaming schedules each layer's transfer from it). Called inside the scheduling step.
   */
  onPrefillIteration?(req: RequestState, startS: number, breakdown: IterationBreakdown): void;
  /** Per-iteration token callback for real-time serving (only called with fastForward off). */
  onTokens?(req: RequestState, timeS: number, count: number): void;
  /** Called when a request leaves the instance (finished or failed). */
  onLeave?(req: RequestState): void;
}


/** The batch between iterations: empty, shared, never added to (abort only removes what it finds). */
const NO_BATCH: RequestState[] = [];

export class EngineInstance {
  readonly blocks: BlockManager;
  private readonly waiting: RequestState[] = [];
  private readonly running: RequestState[] = [];
  private scheduled: RequestState[] = NO_BATCH;
  private busy = false;
  busyS = 0;
  iterations = 0;
  /** Requests admitted and not yet left (routing load figure). */
  outstanding = 0;
  /** Requests aborted here (typed counter; vLLM counts them as finished_reason "abort"). */
  aborted = 0;
  /** CPU/disk KV tiers and swap area of this instance, when configured (attachKvTiers). */
  tiers: KvTiers | null = null;

  constructor(
    readonly cfg: InstanceConfig,
    private readonly sim: Simulator,
    readonly perf: PerfModel,
    private readonly sink: EngineSink,
    private readonly hooks: InstanceHooks = {},
  ) {
    this.blocks = new BlockManager(cfg.numGpuBlocks, cfg.blockSizeTokens);
    this.scheduler = createScheduler(cfg.scheduler ?? 'v1', cfg.decodePolicy);
    this.connector = connectorForRole(cfg.role, new NoKvConnector());
    this.name = cfg.name;
    // A plain field, kept equal to this.connector (attachKvTiers sets both): the scheduler reads it
    // on every step, and an accessor there was not inlined.
    this.ctx = {
      cfg, waiting: this.waiting, running: this.running, blocks: this.blocks, perf,
      connector: this.connector,
      preempt: (victim) => this.preempt(victim),
    };
  }

  private readonly scheduler: Scheduler;
  /** What the scheduler sees of this engine (its connector follows this.connector). */
  private readonly ctx: { -readonly [K in keyof SchedulerContext]: SchedulerContext[K] };
  /** KV connector: none, tiers, and the P/D role around it (src/serving/kv-connector). */
  private connector: KvConnector;

  /** cfg.name, as a field: it is read on every iteration and finish, and a getter there was not inlined. */
  readonly name: string;

  /** Starts the per-iteration stream of offloaded weights as flows; calls back when they have landed. */
  private weightFlow: ((bytes: number, onDone: () => void) => void) | null = null;
  streamWeightsOver(start: (bytes: number, onDone: () => void) => void): void {
    if (this.perf.weightStream) this.weightFlow = start;
  }

  /** The GPU is shared with other instances (topology.sharedGpu): iterations take turns (gpu-turns.ts). */
  private turns: GpuTurns | null = null;
  shareGpu(turns: GpuTurns): void {
    this.turns = turns;
  }

  attachKvTiers(tiers: KvTiers): void {
    this.tiers = tiers;
    this.connector = connectorForRole(this.cfg.role, tiersConnector(tiers, this, this.onTierReady));
    this.ctx.connector = this.connector;
  }
  get numRunning(): number {
    return this.running.length;
  }
  get numWaiting(): number {
    return this.waiting.length;
  }

  /** Tokens still to compute or generate for admitted requests (a routing load figure; O(requests)). */
  outstandingTokens(): number {
    let t = 0;
    for (const q of [this.waiting, this.running]) for (const r of q) t += r.numTokens - r.numComputed + r.spec.outputTokens - r.generated;
    return t;
  }

  /** Why a request can never run here, or undefined. */
  rejectReason(promptTokens: number, outputTokens: number): string | undefined {
    if (promptTokens + outputTokens > this.cfg.maxModelLen) {
      return `prompt (${promptTokens}) + output (${outputTokens}) tokens exceed max_model_len ${this.cfg.maxModelLen}`;
    }
    if (this.blocks.blocksFor(promptTokens + outputTokens) > this.cfg.numGpuBlocks) {
      return `needs ${this.blocks.blocksFor(promptTokens + outputTokens)} KV blocks, the instance has ${this.cfg.numGpuBlocks}`;
    }
    return undefined;
  }

  /** A new request (colocated or prefill role). */
  submit(req: RequestState): void {
    const reason = this.rejectReason(req.spec.promptTokens, this.connector.leavesAfterPrefill ? 1 : req.spec.outputTokens);
    if (reason !== undefined) {
      this.sink.finish(req, this.sim.now, this.name, reason);
      return;
    }
    this.outstanding++;
    this.enqueue(req);
    this.kick();
  }

  /**
   * Decode role: a request whose KV (prompt + first token) has arrived. Its blocks were reserved
   * with `reserveForRemote`; it joins the waiting queue as a decode-ready request.
   */
  admitRemote(req: RequestState): void {
    this.enqueue(req);
    this.kick();
  }

  /** Blocks the head of the waiting queue still needs (0 when it holds its KV or nothing waits). */
  get headNeedBlocks(): number {
    const r = this.waiting[0];
    return r !== undefined && r.blocks === 0 ? this.blocks.blocksFor(r.numTokens) : 0;
  }

  /**
   * Decode role: reserve blocks for a request's incoming KV; false when they are not available, or
   * when taking them would starve a waiting (preempted) request of blocks it needs. `loadedTokens`:
   * prompt tokens whose KV arrives (fewer when a store keeps whole chunks only: the rest is recomputed).
   */
  reserveForRemote(req: RequestState, loadedTokens = req.spec.promptTokens): boolean {
    const need = this.blocks.blocksFor(req.spec.promptTokens + 1);
    if (this.blocks.availableBlocks - need < this.headNeedBlocks) return false;
    if (!this.blocks.allocate(need)) return false;
    req.blocks = need;
    // vLLM V1: once the pulled KV is in, num_computed_tokens = num_tokens - 1, so the decode side
    // recomputes the last prompt token (a 1-token step over the full context) to sample its own
    // first token; the prefill side's token is discarded (vllm-engine-facts.md 4.2).
    req.numComputed = Math.min(loadedTokens, req.spec.promptTokens - 1);
    req.numTokens = req.spec.promptTokens;
    req.remoteKv = true;
    this.outstanding++;
    return true;
  }

  /** Decode role: a reservation whose request was aborted before it arrived; its blocks go back. */
  releaseReserved(req: RequestState): void {
    this.freeBlocks(req);
    this.outstanding--;
    this.hooks.onLeave?.(req);
    if (this.waiting.length > 0) this.kick();
  }

  /** Prefill role: the KV has been transferred away; free its blocks. */
  releaseHandedOff(req: RequestState): void {
    this.freeBlocks(req);
    this.outstanding--;
    this.hooks.onLeave?.(req);
    // Waiting prompts may have stalled for want of these blocks.
    if (this.waiting.length > 0) this.kick();
  }

  /**
   * Aborts request `id` if it is waiting or running here: frees its KV blocks and batch slot now, so
   * a waiting request may be admitted at the next step, and reports it finished with an error. A
   * request whose tier load or swap-in is under way is left alone (its blocks are being written);
   * false when the request is not here.
   */
  abort(id: number): boolean {
    let q = this.waiting;
    let i = q.findIndex((r) => r.spec.id === id);
    if (i < 0) {
      q = this.running;
      i = q.findIndex((r) => r.spec.id === id);
    }
    if (i < 0) return false;
    const r = q[i]!;
    if (this.connector.isBusy(r)) return false;
    q.splice(i, 1);
    // In the iteration in flight: it leaves the batch (the iteration's cost was already priced).
    const k = this.scheduled.indexOf(r);
    if (k >= 0) this.scheduled.splice(k, 1);
    r.scheduled = 0;
    this.freeBlocks(r);
    this.outstanding--;
    this.aborted++;
    this.sink.finish(r, this.sim.now, this.name, messages.abortedReason());
    this.hooks.onLeave?.(r);
    if (this.waiting.length > 0) this.kick();
    return true;
  }

  private enqueue(req: RequestState): void {
    if (this.cfg.prefillOrder === 'shortest-prompt-first' && req.generated === 0) {
      let i = this.waiting.length;
      while (i > 0 && this.waiting[i - 1]!.generated === 0 && this.waiting[i - 1]!.numTokens > req.numTokens) i--;
      this.waiting.splice(i, 0, req);
    } else this.waiting.push(req);
  }

  private kick(): void {
    if (!this.busy) {
      this.busy = true;
      // Through the queue, so that every arrival at this instant is seen by the scheduler.
      this.sim.schedule(0, () => this.step(), EventPriority.iterationEnd);
    }
  }

  private freeBlocks(req: RequestState): void {
    this.blocks.release(req.blocks);
    req.blocks = 0;
    if (req.hashedKeys.length > 0) {
      this.blocks.releaseHashed(req.hashedKeys);
      req.hashedKeys = [];
    }
  }

  private preempt(victim: RequestState): void {
    // Swap (legacy V0): the computed KV goes to the CPU swap area if it fits; else recompute.
    const swapped = this.connector.saveOnPreempt(victim, this.blocks.blocksFor(victim.numComputed));
    this.freeBlocks(victim);
    if (!swapped) victim.numComputed = 0;
    victim.preemptions++;
    this.sink.preemption(this.name);
    this.waiting.unshift(victim);
  }

  /** Reused batch entries for pricing an iteration (no per-iteration allocation). */
  private readonly entries: BatchEntry[] = [];
  private readonly entryPool: BatchEntry[] = [];

  /** Bound once: a swap-in or tier load has landed. */
  private readonly onTierReady = (): void => this.kick();

  private step(): void {
    // A shared GPU held by another instance: this step runs when the GPU is handed over (busy stays set).
    if (this.turns !== null && !this.turns.acquire(this, this.onTurn)) return;
    const batch = this.scheduler.schedule(this.ctx);
    if (batch.length === 0) {
      this.busy = false;
      this.turns?.release(this);
      // A preemption emptied the batch (that step admits nothing); the next step may admit, so take
      // it now rather than idle until some other event wakes the instance.
      if (this.scheduler.preempted && this.waiting.length > 0) this.kick();
      return;
    }
    this.scheduled = batch;
    const startS = this.sim.now;
    this.lastStartS = startS;
    let allDecode = true;
    let newTokens = 0;
    let contextTokens = 0;
    for (const r of batch) {
      if (r.scheduled !== 1 || r.generated === 0) allDecode = false;
      newTokens += r.scheduled;
      contextTokens += r.numComputed;
    }
    let endS: number;
    if (this.weightFlow !== null) {
      this.streamedIteration(batch, startS, newTokens, allDecode);
      return;
    }
    if (allDecode) {
      const c = this.perf.decodeCoefficients(batch.length);
      const dtS = (c.fixedMs + c.perContextTokenMs * contextTokens) / 1000;
      endS = startS + dtS;
      this.finishIterationAccounting(startS, endS, batch.length, newTokens, 'decode');
      const segmentEnd = this.cfg.fastForward && (this.scheduler.stableDecodeShape || this.cfg.decodePolicy?.capsBatch === false) ? this.fastForward(batch, startS, endS, contextTokens, c) : null;
      if (segmentEnd !== null) {
        this.sim.scheduleAt(segmentEnd, this.onIterationEnd, EventPriority.iterationEnd);
        return;
      }
    } else {
      endS = this.priceBatch(batch, startS);
      this.finishIterationAccounting(startS, endS, batch.length, newTokens, this.mixedKind(batch));
    }
    this.sim.scheduleAt(endS, this.onIterationEnd, EventPriority.iterationEnd);
  }

  private mixedKind(batch: RequestState[]): 'prefill' | 'mixed' {
    // A loop, not every(): no closure per prefill step.
    for (const r of batch) if (r.generated > 0 && r.numTokens - r.numComputed <= 1) return 'mixed';
    return 'prefill';
  }

  /** End of an iteration priced alone (entry by entry), calling the prefill-iteration hook. */
  private priceBatch(batch: RequestState[], startS: number): number {
    const entries = this.entries;
    const n = batch.length;
    // Sized to the batch: grown by push, cut only when shorter (`length =` is a runtime call).
    while (entries.length < n) entries.push((this.entryPool[entries.length] ??= { newTokens: 0, contextTokens: 0 }));
    if (entries.length > n) entries.length = n;
    for (let i = 0; i < n; i++) {
      const e = entries[i]!;
      e.newTokens = batch[i]!.scheduled;
      e.contextTokens = batch[i]!.numComputed;
    }
    if (this.hooks.onPrefillIteration) {
      // Layer-wise KV streaming needs the per-layer breakdown; iterationMs equals its total exactly.
      const breakdown = this.perf.iteration(entries);
      for (const r of batch) if (r.generated === 0 && r.numComputed + r.scheduled === r.numTokens) this.hooks.onPrefillIteration(r, startS, breakdown);
      return startS + breakdown.totalMs / 1000;
    }
    return startS + this.perf.iterationMs(entries) / 1000;
  }

  /**
   * Offloaded weights as a flow (streamWeightsOver): the iteration's priced time minus the stream
   * alone on the link, plus the flow's real duration, so a KV copy sharing the link slows the step by
   * its max-min share; alone, the step takes what it is priced at. Step by step (never fast-forward).
   */
  private streamedIteration(batch: RequestState[], startS: number, newTokens: number, allDecode: boolean): void {
    const ws = this.perf.weightStream!;
    const restS = this.priceBatch(batch, startS) - startS - (ws.aloneMs * ws.scale) / 1000;
    const kind = allDecode ? 'decode' : this.mixedKind(batch);
    this.weightFlow!(ws.bytes, () => {
      const endS = startS + restS + (this.sim.now - startS) * ws.scale;
      this.finishIterationAccounting(startS, endS, batch.length, newTokens, kind);
      this.sim.scheduleAt(endS, this.onIterationEnd, EventPriority.iterationEnd);
    });
  }

  private finishIterationAccounting(startS: number, endS: number, batchSize: number, newTokens: number, kind: 'prefill' | 'decode' | 'mixed'): void {
    this.busyS += endS - startS;
    this.iterations++;
    this.sink.iteration(this.name, startS, endS, batchSize, newTokens, kind);
  }

  /**
   * Extends a decode-only iteration (scheduled, blocks allocated, accounted) into a segment of K
   * identical-shape iterations. Iterations 1..K-1 are applied here in aggregate; the K-th is left to
   * endIteration, which processes it exactly as in step-by-step mode. Returns the segment's end
   * time, or null to run step by step. Every float is computed by the same operations, in the same
   * order, as step-by-step simulation would compute it.
   */
  private fastForward(batch: RequestState[], startS: number, firstEndS: number, context0: number, c: { fixedMs: number; perContextTokenMs: number }): number | null {
    if (this.waiting.length > 0 && this.running.length < this.cfg.maxNumSeqs) return null;
    if (this.hooks.onTokens || batch.length !== this.running.length || batch.length > this.cfg.maxNumBatchedTokens) return null;
    if (this.turns?.contended) return null; // another instance waits for the GPU after this iteration
    const B = batch.length;
    // (c) Stop at the first boundary at or after the next pending event. Tested first, as the
    // cheapest: an event due within iteration 1 leaves nothing to fast-forward.
    const nextEventS = this.sim.peekTime();
    if (firstEndS >= nextEventS) return null;
    // One pass over the batch for (a), (b) at k = 2, and iteration 1's gaps (no side effects yet).
    const bs = this.cfg.blockSizeTokens;
    let kMax = Infinity;
    let extra2 = 0;
    let same = 0;
    for (let i = 0; i < B; i++) {
      const r = batch[i]!;
      // (a) No request may finish before the last iteration of the segment.
      const left = r.spec.outputTokens - r.generated;
      if (left < kMax) kMax = left;
      extra2 += Math.ceil((r.numComputed + 2) / bs) - r.blocks - r.hashedKeys.length;
      if (r.lastTokenS === startS) same++;
    }
    // A decode policy (uncapped: see step): its arrangement must keep the order over the segment,
    // and a finishing sequence must not give its slot to a waiting one before the last iteration.
    const pol = this.cfg.decodePolicy;
    if (pol !== undefined) {
      if (pol.sameIterationEviction && this.waiting.length > 0) return null;
      kMax = Math.min(kMax, pol.steadyIterations(batch));
    }
    if (kMax < 2) return null;
    // (b) Blocks for all K iterations must be available now, so no preemption can occur inside.
    const avail = this.blocks.availableBlocks;
    if (extra2 > avail) return null;
    // extraBlocksFor(batch, kMax) is at most extra2 + B * ceil((kMax - 2) / bs) (ceil(x + y) <=
    // ceil(x) + ceil(y)): when that bound fits, so does kMax, and the exact sum is not needed.
    if (extra2 + B * Math.ceil((kMax - 2) / bs) > avail && this.extraBlocksFor(batch, kMax) > avail) {
      let lo = 2;
      let hi = kMax;
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if (this.extraBlocksFor(batch, mid) <= avail) lo = mid;
        else hi = mid;
      }
      kMax = lo;
    }
    // Iteration 1's outputs, as endIteration would record them (gaps of their own first, in batch order).
    if (same < B) for (const r of batch) if (r.lastTokenS !== startS) this.sink.itl(firstEndS - r.lastTokenS, 1);
    if (same > 0) this.sink.itl(firstEndS - startS, same);
    this.sink.tokens(firstEndS, B);
    if (firstEndS >= this.sink.nextGaugeS) this.gaugesMidSegment(batch, 1, firstEndS);
    let prevEnd = firstEndS;
    let t = firstEndS;
    let ctx = context0 + B;
    let k = 1;
    // Iterations 2..k go to the sink in runs (decodeRun), cut only where gauges are sampled so every
    // figure sees its calls in step-by-step order.
    let ends = this.runEndsS;
    let m = 0;
    let runStartS = firstEndS;
    for (;;) {
      const start = t;
      t = start + (c.fixedMs + c.perContextTokenMs * ctx) / 1000;
      k++;
      ctx += B;
      this.busyS += t - start;
      if (m === ends.length) {
        const grown = new Float64Array(2 * m);
        grown.set(ends);
        ends = this.runEndsS = grown;
      }
      ends[m++] = t;
      if (k >= kMax || t >= nextEventS) break;
      // Iteration k (not the last): every request's gap is this iteration.
      if (t >= this.sink.nextGaugeS) {
        this.decodeRun(runStartS, m, m, B);
        runStartS = t;
        m = 0;
        this.gaugesMidSegment(batch, k, t);
      }
      prevEnd = t;
    }
    this.iterations += k - 1;
    this.decodeRun(runStartS, m, m - 1, B);
    // Apply iterations 1..k-1 to every request and take the blocks iteration k needs.
    const done = k - 1;
    // The blocks iteration k needs (extraBlocksFor(batch, k), summed as the requests take them).
    let extraK = 0;
    for (const r of batch) {
      const blocks = Math.ceil((r.numComputed + k) / bs) - r.hashedKeys.length;
      extraK += blocks - r.blocks;
      r.blocks = blocks;
      r.numComputed += done;
      r.numTokens += done;
      r.generated += done;
      r.lastTokenS = prevEnd;
      r.scheduled = 1;
    }
    this.blocks.allocate(extraK);
    this.lastStartS = prevEnd;
    // Iteration k finishes a request before any other event: carry on past it when nothing can
    // join the smaller batch, doing here what endIteration and step() would do at t.
    if (k === kMax && t < nextEventS) return this.continueAfterFinish(batch, prevEnd, t) ?? t;
    return t;
  }

  /**
   * At the end `endS` of a segment's last iteration (started at `startS`), where some requests of
   * `batch` sample their last token: when the rest would simply run on as a decode batch (nothing
   * waiting, no prefix blocks held, no KV tiers, shared GPU or weight stream, no leave hook, blocks
   * for one more token each), applies that iteration and the finishes as endIteration would,
   * schedules the survivors' next iteration as step() would, and extends it into the next segment.
   * Returns that segment's end, or null (nothing changed) to leave the iteration to endIteration.
   */
  private continueAfterFinish(batch: RequestState[], startS: number, endS: number): number | null {
    // Prefix caching may be on (vLLM's default) as long as no request holds prefix blocks: then
    // leaving and scheduling touch only anonymous block counts (checked per request below).
    if (this.waiting.length > 0 || this.cfg.decodePolicy !== undefined || this.hooks.onLeave || this.connector.leavesAfterPrefill || this.tiers !== null || this.turns !== null || this.weightFlow !== null) return null;
    const bs = this.cfg.blockSizeTokens;
    let survivors = 0;
    let freed = 0;
    let need = 0;
    for (const r of batch) {
      if (r.hashedKeys.length > 0) return null;
      if (r.generated + 1 >= r.spec.outputTokens) freed += r.blocks;
      else {
        survivors++;
        need += Math.max(0, Math.ceil((r.numComputed + 2) / bs) - r.blocks);
      }
    }
    if (survivors === 0 || need > this.blocks.availableBlocks + freed) return null;
    // endIteration at endS: every request samples a token, all with this iteration as gap.
    // In the same pass, step() at endS for the survivors: the scheduler gives every running request
    // one token (blocks checked above). The batch is the running queue in its order (fastForward
    // checked they are the same size), so the survivors, in batch order, are what it leaves. Their
    // blocks are taken after the finished ones are freed, as step() would, in one allocate() of
    // the sum: the same blocks from the free pool, then from the LRU, as one call per request.
    const finished = this.finishedScratch;
    let nFinished = 0;
    const next: RequestState[] = [];
    let contextTokens = 0;
    let more = 0;
    for (const r of batch) {
      const computed = (r.numComputed += r.scheduled);
      r.lastTokenS = endS;
      r.generated++;
      r.numTokens++;
      if (r.generated >= r.spec.outputTokens) {
        r.scheduled = 0;
        finished[nFinished++] = r;
      } else {
        const add = Math.ceil((computed + 1) / bs) - r.blocks;
        if (add > 0) {
          r.blocks += add;
          more += add;
        }
        r.scheduled = 1;
        contextTokens += computed;
        next.push(r);
      }
    }
    this.sink.itl(endS - startS, batch.length);
    this.sink.tokens(endS, batch.length);
    for (let i = 0; i < nFinished; i++) this.leave(finished[i]!, endS);
    if (endS >= this.sink.nextGaugeS) this.sink.gauges(this.name, endS, this.running.length, this.waiting.length, this.blocks.usedBlocks, this.cfg.numGpuBlocks);
    this.blocks.allocate(more);
    this.scheduled = next;
    this.lastStartS = endS;
    const c = this.perf.decodeCoefficients(next.length);
    const nextEndS = endS + (c.fixedMs + c.perContextTokenMs * contextTokens) / 1000;
    this.finishIterationAccounting(endS, nextEndS, next.length, next.length, 'decode');
    return this.fastForward(next, endS, nextEndS, contextTokens, c) ?? nextEndS;
  }

  /** End times of a fast-forward segment's iterations (reused: no allocation per segment). */
  private runEndsS = new Float64Array(256);

  private decodeRun(startS: number, n: number, emitting: number, batchSize: number): void {
    if (this.sink.decodeRun) this.sink.decodeRun(this.name, startS, this.runEndsS, n, emitting, batchSize);
    else decodeRunByCalls(this.sink, this.name, startS, this.runEndsS, n, emitting, batchSize);
  }

  /** Blocks to add, beyond those held for iteration 1, to hold c_i + k tokens for every request. */
  private extraBlocksFor(batch: RequestState[], k: number): number {
    const bs = this.cfg.blockSizeTokens;
    let s = 0;
    for (const r of batch) s += Math.ceil((r.numComputed + k) / bs) - r.blocks - r.hashedKeys.length;
    return s;
  }

  private gaugesMidSegment(batch: RequestState[], k: number, t: number): void {
    let used = this.blocks.usedBlocks;
    const bs = this.cfg.blockSizeTokens;
    for (const r of batch) used += Math.ceil((r.numComputed + k) / bs) - r.blocks - r.hashedKeys.length;
    this.sink.gauges(this.name, t, this.running.length, this.waiting.length, used, this.cfg.numGpuBlocks);
  }

  /** Bound once: scheduling an iteration end allocates no closure. */
  private readonly onIterationEnd = (): void => this.endIteration(this.sim.now);
  /** Bound once: the shared GPU was handed to this instance. */
  private readonly onTurn = (): void => this.step();

  private endIteration(endS: number): void {
    const batch = this.scheduled;
    this.scheduled = NO_BATCH;
    const iterStartS = this.lastStartS;
    let sameGap = 0;
    let tokens = 0;
    // Reused (no allocation per iteration): nothing below re-enters endIteration. Its first
    // nFinished entries are this iteration's (a count, not `length = 0`, which is a runtime call).
    const finished = this.finishedScratch;
    let nFinished = 0;
    // Read once: the loop calls out (sink, connector), so they would be reloaded per request.
    const hooks = this.hooks;
    const onTokens = hooks.onTokens;
    const prefixCaching = this.cfg.enablePrefixCaching;
    const connector = this.connector;
    const leavesAfterPrefill = connector.leavesAfterPrefill;
    for (const r of batch) {
      r.numComputed += r.scheduled;
      r.scheduled = 0;
      if (r.numComputed < r.numTokens) continue; // a prefill chunk that is not the last
      if (r.firstTokenS === null) {
        r.firstTokenS = endS;
        this.sink.firstToken(r, endS);
      } else if (r.lastTokenS === iterStartS) sameGap++;
      else this.sink.itl(endS - r.lastTokenS, 1);
      r.lastTokenS = endS;
      const generated = ++r.generated;
      r.numTokens++;
      tokens++;
      if (onTokens !== undefined) onTokens.call(hooks, r, endS, 1);
      if (generated === 1) {
        if (prefixCaching && r.hashedKeys.length < r.blockKeys.length) this.commitPromptBlocks(r);
        connector.onPromptDone(r);
      }
      if (generated >= r.spec.outputTokens || (leavesAfterPrefill && generated === 1)) finished[nFinished++] = r;
    }
    if (sameGap > 0) this.sink.itl(endS - iterStartS, sameGap);
    if (tokens > 0) this.sink.tokens(endS, tokens);
    for (let i = 0; i < nFinished; i++) this.leave(finished[i]!, endS);
    if (endS >= this.sink.nextGaugeS) this.sink.gauges(this.name, endS, this.running.length, this.waiting.length, this.blocks.usedBlocks, this.cfg.numGpuBlocks);
    // A shared GPU passes to an instance that waited for it; this one asks again in step().
    this.turns?.release(this);
    this.step();
  }

  private readonly finishedScratch: RequestState[] = [];

  /** Start of the iteration in flight (all requests of one iteration share it). */
  private lastStartS = 0;

  private commitPromptBlocks(r: RequestState): void {
    // Prompt blocks that are full are now complete and shareable.
    const full = Math.min(r.blockKeys.length, Math.floor(r.spec.promptTokens / this.cfg.blockSizeTokens));
    const newKeys = r.blockKeys.slice(r.hashedKeys.length, full);
    if (newKeys.length === 0) return;
    this.blocks.commit(newKeys);
    r.blocks -= newKeys.length;
    r.hashedKeys = r.hashedKeys.concat(newKeys);
  }

  private leave(r: RequestState, timeS: number): void {
    const idx = this.running.indexOf(r);
    if (idx >= 0) this.running.splice(idx, 1);
    if (this.connector.leavesAfterPrefill) {
      this.hooks.onPrefillDone?.(r, timeS);
      return;
    }
    this.freeBlocks(r);
    this.outstanding--;
    this.sink.finish(r, timeS, this.name);
    this.hooks.onLeave?.(r);
  }
}
