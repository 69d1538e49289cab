/**
 * One vLLM-V1-style engine instance: continuous batching under `maxNumBatchedTokens` and
 * `maxNumSeqs`, chunked prefill, paged KV blocks, recompute preemption, optional prefix caching.
 *
 * Each iteration: (1) schedule running requests first (preempting the newest when blocks run out),
 * (2) admit waiting requests if nothing was preempted, (3) price the batch with the perf model,
 * (4) at its end, advance every request and sample tokens.
 *
 * Fast path (fast-forward.ts): while the batch is decode-only and nothing can join it, many
 * identical iterations advance in one event, byte-identical to step-by-step simulation. And an
 * iteration that ends before anything else can act on the engine (the kernel's horizon) completes
 * without an event of its own (runFrom), so a prefill step and the decode segment after it cost one
 * event between two hand-offs. Batches that
 * are not decode-only are priced by batch-pricer.ts; the configuration and hooks live in
 * instance-config.ts (re-exported here).
 *
 * KV tiers and swap (src/serving/kv-tiers.ts, attached by the composition root): prefix blocks held
 * in CPU/disk tiers are loaded back before a request's prefill, and preemption may swap KV to CPU
 * instead of recomputing it. Fast-forward stays exact with them: every tier action happens in step()
 * or endIteration() (never inside a decode-only segment), and their byte moves end on flow-network
 * events, which end a segment like any other pending event (kv-tiers.test.ts compares both modes).
 */
import type { EventHandle, Simulator } from '../kernel/simulator.js';
import { BlockManager } from '../kv/block-manager.js';
import type { PerfModel } from '../perf/perf-model.js';
import { BatchPricer, mixedKind } from './batch-pricer.js';
import type { EngineSink } from './engine-sink.js';
import { continueBeforeLateJoin, fastForward, flushPlan, planExtraBlocks, planIterationsBefore, planSegment, settleAndContinue, settlePlan } from './fast-forward.js';
import type { GpuTurns } from './gpu-turns.js';
import type { InstanceConfig, InstanceHooks } from './instance-config.js';
import type { KvTiers } from './kv-tiers.js';
import { smallInt, type RequestState } from './request-state.js';
import { messages } from '../messages.js';
import { EventPriority } from './event-priorities.js';
import { connectorForRole, NoKvConnector, tiersConnector, type KvConnector } from './kv-connector/index.js';
import { createScheduler, type Scheduler, type SchedulerContext } from './scheduler/index.js';
import { sinkOrderOf, type PlanHolder, type SinkOrder } from './sink-buffer.js';

export type { InstanceConfig, InstanceHooks, InstanceRole } from './instance-config.js';

/** The batch between iterations: empty, shared, never added to (abort only removes what it finds). */
const NO_BATCH: RequestState[] = [];

// Members marked @internal are public only for this engine's helpers in src/serving (fast-forward.ts
// reads them through SegmentEngine, which this class must satisfy); nothing else should use them.
export class EngineInstance implements PlanHolder {
  readonly blocks: BlockManager;
  /** @internal */
  readonly waiting: RequestState[] = [];
  /** @internal */
  readonly running: RequestState[] = [];
  /** Async scheduling: arrivals during the step in flight, invisible to the next schedule. */
  private readonly lateArrivals: RequestState[] = [];
  /** @internal */
  scheduled: RequestState[] = NO_BATCH;
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
    /** @internal */
    readonly sim: Simulator,
    readonly perf: PerfModel,
    /** @internal */
    readonly sink: EngineSink,
    /** @internal */
    readonly hooks: InstanceHooks = {},
  ) {
    this.blocks = new BlockManager(cfg.numGpuBlocks, cfg.blockSizeTokens);
    this.scheduler = createScheduler(cfg.scheduler ?? 'v1', cfg.decodePolicy);
    this.connector = connectorForRole(cfg.role, new NoKvConnector());
    this.name = cfg.name;
    this.pricer = new BatchPricer(perf, this.hooks);
    // A plain field, kept equal to this.connector (attachKvTiers sets both): the scheduler reads it
    // on every step, and an accessor there was not inlined.
    this.ctx = {
      cfg, waiting: this.waiting, running: this.running, blocks: this.blocks, perf,
      connector: this.connector, waitingTokens: 0,
      preempt: (victim) => this.preempt(victim),
    };
    this.order = sinkOrderOf(sim);
    this.order.register(this);
  }

  /** @internal The run's order of held sink calls (sink-buffer.ts). */
  readonly order: SinkOrder;
  /** @internal An open plan of per-instance fast-forward (fast-forward.ts planSegment); its ends are in runEndsS. */
  planOpen = false;
  /** @internal */
  planBatch: RequestState[] = NO_BATCH;
  /** @internal */
  planK = 0;
  /** @internal */
  planNext = 0;
  /** @internal */
  planStartS = 0;
  /** @internal */
  planSame = 0;
  /** @internal */
  planDueS = Infinity;
  /** The open plan's end event (rescheduled when the plan is settled earlier). */
  private planEvent: EventHandle | null = null;
  /** Outstanding tokens at the open plan's start, -1 until a router reads them. */
  private planTokens = -1;

  /** @internal SinkOrder: the open plan's held calls before `beforeS`. */
  flushHeld(beforeS: number): void {
    flushPlan(this, beforeS);
  }

  /**
   * Brings an open plan to the clock before anything acts on this engine: the iterations that ended
   * are applied, the one in flight ends the plan (its end event moves there). A no-op without a plan.
   */
  private sync(): void {
    if (!this.planOpen) return;
    const oldEndS = this.runEndsS[this.planK - 1]!;
    const endS = settlePlan(this, this.sim.now);
    this.planTokens = -1;
    if (endS !== oldEndS) {
      this.planEvent!.cancel();
      this.sim.scheduleAt(endS, this.onIterationEnd, EventPriority.iterationEnd);
    }
    this.planEvent = null;
  }

  private readonly scheduler: Scheduler;
  /** What the scheduler sees of this engine (its connector follows this.connector). */
  private readonly ctx: { -readonly [K in keyof SchedulerContext]: SchedulerContext[K] };
  /** KV connector: none, tiers, and the P/D role around it (src/serving/kv-connector). */
  /** @internal */
  connector: KvConnector;

  /** cfg.name, as a field: it is read on every iteration and finish, and a getter there was not inlined. */
  readonly name: string;

  /** Starts the per-iteration stream of offloaded weights as flows; calls back when they have landed. */
  /** @internal */
  weightFlow: ((bytes: number, onDone: () => void) => void) | null = null;
  streamWeightsOver(start: (bytes: number, onDone: () => void) => void): void {
    if (this.perf.weightStream) this.weightFlow = start;
  }

  /** The GPU is shared with other instances (topology.sharedGpu): iterations take turns (gpu-turns.ts). */
  /** @internal */
  turns: GpuTurns | null = null;
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
    return this.waiting.length + this.lateArrivals.length;
  }

  /**
   * Tokens still to compute or generate for admitted requests (a routing load figure; O(running)).
   * Waiting requests do not change while they wait, so their part is a counter kept where they join
   * and leave (ctx.waitingTokens): a walk of an overloaded replica's queue on every arrival was quadratic.
   */
  outstandingTokens(): number {
    if (this.waitingStale) this.recountWaiting();
    if (EngineInstance.checkTokenCounter) this.checkWaitingTokens();
    if (this.planOpen) {
      // Read at a hand-off without settling the plan: each iteration ended so far took one token off every request.
      if (this.planTokens < 0) this.planTokens = this.ctx.waitingTokens + outstanding(this.running);
      return this.planTokens - this.planBatch.length * planIterationsBefore(this, this.sim.now);
    }
    return this.ctx.waitingTokens + outstanding(this.running);
  }

  /** Debug check (tests): every outstandingTokens() read compares the waiting counter with a walk of the queues. */
  static checkTokenCounter = false;
  /** A tier load changed a waiting request's computed tokens in place (offload.ts): recount at the next read. */
  private waitingStale = false;

  /** @internal The waiting queues' outstanding tokens by a walk (what ctx.waitingTokens must equal). */
  waitingTokensWalk(): number {
    return outstanding(this.waiting) + outstanding(this.lateArrivals);
  }

  /** Reads that checkTokenCounter compared with something waiting (tests: the check was exercised). */
  static tokenChecks = 0;

  /** Throws unless the counter equals the walk (not while a tier load's change awaits its recount). */
  private checkWaitingTokens(): void {
    if (this.waitingStale) return;
    const walk = this.waitingTokensWalk();
    if (walk !== this.ctx.waitingTokens) throw new Error(`${this.name}: waiting-token counter ${this.ctx.waitingTokens} != walk ${walk}`);
    if (walk > 0) EngineInstance.tokenChecks++;
  }

  private recountWaiting(): void {
    this.waitingStale = false;
    this.ctx.waitingTokens = 0;
    for (const r of this.waiting) this.countWaiting(r);
    for (const r of this.lateArrivals) this.countWaiting(r);
  }

  /** `r` joins the waiting queue or the late arrivals: its outstanding tokens go into the counter. */
  private countWaiting(r: RequestState): void {
    const t = r.numTokens - r.numComputed + r.outputTokens - r.generated;
    r.queuedTokens = t;
    this.ctx.waitingTokens += t;
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
    this.sync();
    const reason = this.rejectReason(req.promptTokens, this.connector.leavesAfterPrefill ? 1 : req.outputTokens);
    if (reason !== undefined) {
      this.order.drain(this.sim.now);
      this.sink.finish(req, this.sim.now, this.name, reason);
      return;
    }
    this.outstanding++;
    this.countWaiting(req);
    // Async scheduling with a step in flight: the next step is already chosen (step() admits it after).
    if (this.cfg.asyncScheduling === true && this.scheduled !== NO_BATCH) {
      this.lateArrivals.push(req);
      return;
    }
    this.enqueue(req);
    this.kick();
    if (EngineInstance.checkTokenCounter) this.checkWaitingTokens();
  }

  /**
   * Decode role: a request whose KV (prompt + first token) has arrived. Its blocks were reserved
   * with `reserveForRemote`; it joins the waiting queue as a decode-ready request.
   */
  admitRemote(req: RequestState): void {
    this.sync();
    this.countWaiting(req);
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
  reserveForRemote(req: RequestState, loadedTokens = req.promptTokens): boolean {
    const need = this.blocks.blocksFor(req.promptTokens + 1);
    if (this.planOpen) {
      // A decode plan goes on past a reservation that leaves its later iterations their blocks (no
      // preemption, same batch: what step by step would run); the answer is the clock's: the blocks
      // the iteration in flight holds count as taken. Otherwise the plan is settled first.
      this.order.drain(this.sim.now);
      const free = this.blocks.availableBlocks;
      if (free - planExtraBlocks(this, this.planNext + 1) - need < this.headNeedBlocks) return false;
      if (free - need < planExtraBlocks(this, this.planK)) this.sync();
    }
    if (this.blocks.availableBlocks - need < this.headNeedBlocks) return false;
    if (!this.blocks.allocate(need)) return false;
    req.blocks = need;
    // vLLM V1: once the pulled KV is in, num_computed_tokens = num_tokens - 1, so the decode side
    // recomputes the last prompt token (a 1-token step over the full context) to sample its own
    // first token; the prefill side's token is discarded (vllm-engine-facts.md 4.2).
    req.numComputed = smallInt(Math.min(loadedTokens, req.promptTokens - 1));
    req.numTokens = req.promptTokens;
    req.remoteKv = true;
    this.outstanding++;
    return true;
  }

  /** Decode role: a reservation whose request was aborted before it arrived; its blocks go back. */
  releaseReserved(req: RequestState): void {
    this.sync();
    this.freeBlocks(req);
    this.outstanding--;
    this.hooks.onLeave?.(req);
    if (this.waiting.length > 0) this.kick();
  }

  /** Prefill role: the KV has been transferred away; free its blocks. */
  releaseHandedOff(req: RequestState): void {
    this.sync();
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
    this.sync();
    let q = this.waiting;
    let i = -1;
    for (const queue of [this.waiting, this.lateArrivals, this.running]) {
      q = queue;
      i = q.findIndex((r) => r.spec.id === id);
      if (i >= 0) break;
    }
    if (i < 0) return false;
    const r = q[i]!;
    if (this.connector.isBusy(r)) return false;
    q.splice(i, 1);
    if (q !== this.running) this.ctx.waitingTokens -= r.queuedTokens;
    // In the iteration in flight: it leaves the batch (the iteration's cost was already priced).
    const k = this.scheduled.indexOf(r);
    if (k >= 0) this.scheduled.splice(k, 1);
    r.scheduled = 0;
    this.freeBlocks(r);
    this.outstanding--;
    this.aborted++;
    this.order.drain(this.sim.now);
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

  /** Takes a step at `atS` (now, or the end of an iteration completed ahead) unless one is under way. */
  private kick(atS = this.sim.now): void {
    if (!this.busy) {
      this.busy = true;
      // Through the queue, so that every arrival at this instant is seen by the scheduler.
      this.sim.scheduleAt(atS, this.onTurn, EventPriority.iterationEnd);
    }
  }

  private freeBlocks(req: RequestState): void {
    this.blocks.release(req.blocks);
    req.blocks = 0;
    if (req.hashedBlocks > 0) {
      // The hashed keys are a prefix of the block keys; passing the request's own array lets the manager use its node memo.
      this.blocks.releaseHashed(req.blockKeys, 0, req.hashedBlocks);
      req.hashedBlocks = 0;
    }
  }

  private preempt(victim: RequestState): void {
    // Swap (legacy V0): the computed KV goes to the CPU swap area if it fits; else recompute.
    const swapped = this.connector.saveOnPreempt(victim, this.blocks.blocksFor(victim.numComputed));
    this.freeBlocks(victim);
    if (!swapped) victim.numComputed = 0;
    victim.preemptions++;
    this.sink.preemption(this.name);
    this.countWaiting(victim);
    this.waiting.unshift(victim);
  }

  /** Prices iterations that are not decode-only (batch-pricer.ts). */
  private readonly pricer: BatchPricer;

  /** Bound once: a swap-in or tier load has landed. */
  private readonly onTierReady = (): void => {
    // A load's end set a waiting request's numComputed (offload.ts); the request it was is not passed.
    this.waitingStale = true;
    this.kick();
  };

  /**
   * Runs steps from `startS`. An iteration that ends before anything else can act on this engine
   * (the kernel's horizon: the next engine-side event, or a client send's hand-off) completes at
   * once, without an event: nothing can see the engine in between, so it is what step-by-step
   * simulation would do at that time. Only where nothing outside reads the engine's clock or is
   * called per iteration (runsAhead); otherwise, and in step-by-step mode, every end is an event.
   */
  private runFrom(startS: number, firstEndS = -1): void {
    for (let s = startS, first = firstEndS; ;) {
      const endS = first >= 0 ? first : this.step(s);
      first = -1;
      if (endS < 0) return;
      if (!(endS < this.sim.peekHorizon() && this.runsAhead())) {
        const ev = this.sim.scheduleAt(endS, this.onIterationEnd, EventPriority.iterationEnd);
        if (this.planOpen) this.planEvent = ev;
        return;
      }
      if (this.planOpen) this.settleAt(endS);
      this.endIteration(endS);
      s = endS;
    }
  }

  /**
   * Iterations may complete ahead of the clock: a colocated engine with fast-forward on, without
   * swap, shared GPU, weight stream or hooks (real-time serving's per-token calls, P/D hand-offs),
   * whose only outputs go to the sink with their own times. CPU/disk tiers may run ahead: their calls
   * carry `stepS` and the flows they start are held to that time (KvTiers.runsAheadOk, shards).
   */
  runsAhead(): boolean {
    const h = this.hooks;
    return this.cfg.fastForward && this.cfg.role === 'colocated' && (this.tiers === null || this.tiers.runsAheadOk) && this.turns === null && this.weightFlow === null
      && h.onTokens === undefined && h.onLeave === undefined && h.onPrefillDone === undefined && h.onPrefillIteration === undefined;
  }

  /**
   * A P/D engine (its hooks call the P/D runtime, which drains before its own sink calls) whose sink
   * calls all come from endIteration, step and the sync'd entry points, each after a drain at its
   * time: its decode segments may be planned (sink-buffer.ts), settled by a reservation or hand-off.
   */
  drainsFirst(): boolean {
    return this.cfg.fastForward && this.cfg.role !== 'colocated' && this.tiers === null && this.turns === null && this.weightFlow === null && this.hooks.onTokens === undefined;
  }

  /** One scheduling step at `startS`: the end of the iteration it starts, or -1 when it started none it can time now. */
  private step(startS: number): number {
    this.stepS = startS;
    // A shared GPU held by another instance: this step runs when the GPU is handed over (busy stays set).
    if (this.turns !== null && !this.turns.acquire(this, this.onTurn)) return -1;
    const batch = this.scheduler.schedule(this.ctx);
    const late = this.admitLateArrivals();
    if (batch.length === 0) {
      this.busy = false;
      this.turns?.release(this);
      // A preemption emptied the batch (that step admits nothing), or the step chosen behind the one
      // that ended was empty: the next step may admit, so take it now rather than idle.
      if ((this.scheduler.preempted || late) && this.waiting.length > 0) this.kick(startS);
      return -1;
    }
    this.scheduled = batch;
    this.lastStartS = startS;
    // Summed by the scheduler as it formed the batch (no pass of its own here).
    const allDecode = this.scheduler.batchAllDecode;
    const newTokens = this.scheduler.batchNewTokens;
    const contextTokens = this.scheduler.batchContextTokens;
    let endS: number;
    if (this.weightFlow !== null) {
      this.streamedIteration(batch, startS, newTokens, allDecode);
      return -1;
    }
    if (allDecode) {
      const c = this.perf.decodeCoefficients(batch.length);
      const dtS = (c.fixedMs + c.perContextTokenMs * contextTokens) / 1000;
      endS = startS + dtS;
      this.finishIterationAccounting(startS, endS, batch.length, newTokens, 'decode');
      const segmentEnd = this.cfg.fastForward && (this.scheduler.stableDecodeShape || this.cfg.decodePolicy?.capsBatch === false)
        ? (this.order.planning() ? planSegment(this, batch, startS, endS, contextTokens, c) : fastForward(this, batch, startS, endS, contextTokens, c))
        : null;
      if (segmentEnd !== null) return segmentEnd;
    } else {
      endS = this.pricer.price(batch, startS);
      this.finishIterationAccounting(startS, endS, batch.length, newTokens, mixedKind(batch));
    }
    return endS;
  }

  /**
   * Offloaded weights as a flow (streamWeightsOver): the iteration's priced time minus the stream
   * alone on the link, plus the flow's real duration, so a KV copy sharing the link slows the step by
   * its max-min share; alone, the step takes what it is priced at. Step by step (never fast-forward).
   */
  private streamedIteration(batch: RequestState[], startS: number, newTokens: number, allDecode: boolean): void {
    const ws = this.perf.weightStream!;
    const restS = this.pricer.price(batch, startS) - startS - (ws.aloneMs * ws.scale) / 1000;
    const kind = allDecode ? 'decode' : mixedKind(batch);
    this.weightFlow!(ws.bytes, () => {
      const endS = startS + restS + (this.sim.now - startS) * ws.scale;
      this.finishIterationAccounting(startS, endS, batch.length, newTokens, kind);
      this.sim.scheduleAt(endS, this.onIterationEnd, EventPriority.iterationEnd);
    });
  }

  /** @internal Async scheduling: the arrivals held during the step in flight join the waiting queue (after a schedule); whether there were any. */
  admitLateArrivals(): boolean {
    const late = this.lateArrivals;
    const n = late.length;
    if (n === 0) return false;
    // Mostly one: pop() is inlined, `length = 0` a runtime call.
    if (n === 1) this.enqueue(late.pop()!);
    else {
      for (const r of late) this.enqueue(r);
      late.length = 0;
    }
    return true;
  }

  /** @internal */
  finishIterationAccounting(startS: number, endS: number, batchSize: number, newTokens: number, kind: 'prefill' | 'decode' | 'mixed'): void {
    this.busyS += endS - startS;
    this.iterations++;
    this.sink.iteration(this.name, startS, endS, batchSize, newTokens, kind);
  }

  /** Bound once: scheduling an iteration end allocates no closure. */
  private readonly onIterationEnd = (): void => {
    if (this.planOpen) {
      const nowS = this.sim.now;
      // Settled at its end (as settleAt), then the plan's last iteration, mostly one that finishes
      // requests: carried on in one pass over the batch as fastForward does before any other event
      // (the same calls endIteration and step() make now).
      this.planEvent = null;
      this.planTokens = -1;
      const nextEndS = settleAndContinue(this, nowS);
      if (nextEndS !== null) {
        this.runFrom(nowS, nextEndS);
        return;
      }
    } else if (this.lateArrivals.length > 0) {
      // The batch's next iteration, before the arrivals join, applied in one pass (fast-forward.ts).
      const nowS = this.sim.now;
      const nextEndS = continueBeforeLateJoin(this, this.scheduled, this.lastStartS, nowS);
      if (nextEndS !== null) {
        this.runFrom(nowS, nextEndS);
        return;
      }
    }
    this.endIteration(this.sim.now);
    this.runFrom(this.sim.now);
  };
  /** Bound once: a step is due now (kick), or the shared GPU was handed to this instance. */
  private readonly onTurn = (): void => {
    if (EngineInstance.checkTokenCounter) this.checkWaitingTokens();
    this.order.drain(this.sim.now);
    this.runFrom(this.sim.now);
  };

  /** The open plan reaches its end at `endS` (its event, or ahead of the clock before the horizon). */
  private settleAt(endS: number): void {
    settlePlan(this, endS);
    this.planEvent = null;
    this.planTokens = -1;
  }

  private endIteration(endS: number): void {
    this.stepS = endS;
    // Held calls of other engines' plans that ended before this iteration come first (sink-buffer.ts).
    this.order.drain(endS);
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
        if (prefixCaching && r.hashedBlocks < r.blockKeys.length) this.commitPromptBlocks(r);
        connector.onPromptDone(r);
      }
      if (generated >= r.outputTokens || (leavesAfterPrefill && generated === 1)) finished[nFinished++] = r;
    }
    if (sameGap > 0) this.sink.itl(endS - iterStartS, sameGap);
    if (tokens > 0) this.sink.tokens(endS, tokens);
    for (let i = 0; i < nFinished; i++) this.leave(finished[i]!, endS);
    if (endS >= this.sink.nextGaugeS) this.sink.gauges(this.name, endS, this.running.length, this.waiting.length, this.blocks.usedBlocks, this.cfg.numGpuBlocks);
    // A shared GPU passes to an instance that waited for it; this one asks again in its next step.
    this.turns?.release(this);
  }

  /** @internal Reused list of an iteration's finished requests (endIteration, fast-forward.ts). */
  readonly finishedScratch: RequestState[] = [];
  /** @internal continueAfterFinish's survivor batches (fast-forward.ts): alternated, no array per call. */
  readonly survivorsA: RequestState[] = [];
  /** @internal */
  readonly survivorsB: RequestState[] = [];
  /** @internal */
  survivorFlip = false;

  /** @internal The time of the step or iteration end in progress, ahead of the clock when the engine runs ahead: what its KV connector times tier flows by. */
  stepS = 0;

  /** @internal Start of the iteration in flight (all requests of one iteration share it). */
  lastStartS = 0;

  /** @internal End times of a fast-forward segment's iterations (reused: no allocation per segment). */
  runEndsS = new Float64Array(256);

  private commitPromptBlocks(r: RequestState): void {
    // Prompt blocks that are full are now complete and shareable.
    const full = Math.min(r.blockKeys.length, Math.floor(r.promptTokens / this.cfg.blockSizeTokens));
    const from = r.hashedBlocks;
    if (full <= from) return;
    this.blocks.commit(r.blockKeys, from, full);
    r.blocks -= full - from;
    // The hashed keys are always blockKeys[0, full): a count, no copy (a 750-key array per Mooncake request before).
    r.hashedBlocks = full;
  }

  /**
   * @internal For fast-forward.ts: `n` requests of `finished` leave at `timeS`, in order, as leave()
   * would let them (colocated, no prefix blocks held, no leave hook: the caller checked), and the
   * running queue becomes `survivors` (what it is, in order, once they left).
   */
  retire(finished: readonly RequestState[], n: number, survivors: readonly RequestState[], timeS: number): void {
    // None finished (mostly a late join's carried-on iteration): the queue is the survivors already.
    if (n === 0) return;
    const run = this.running;
    for (let i = 0; i < survivors.length; i++) run[i] = survivors[i]!;
    run.length = survivors.length;
    for (let i = 0; i < n; i++) {
      const r = finished[i]!;
      this.blocks.release(r.blocks);
      r.blocks = 0;
      this.outstanding--;
      this.sink.finish(r, timeS, this.name);
    }
  }

  /** @internal */
  leave(r: RequestState, timeS: number): void {
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

/** Tokens a queue's requests still have to compute or generate (no array built per call: a router reads it per arrival). */
function outstanding(q: readonly RequestState[]): number {
  let t = 0;
  for (const r of q) t += r.numTokens - r.numComputed + r.outputTokens - r.generated;
  return t;
}
