/**
 * KV tiers of one engine instance below its GPU blocks, and swap preemption, with the bytes moved as
 * flows on the flow network (so they share PCIe, host DRAM and disk channels with everything else,
 * KV transfers of a disaggregated deployment included).
 *
 * - CPU tier (vLLM `--kv-offloading-size`, OffloadingConnector) and optional disk tier below it
 *   (LMCache local disk): a TierStore (src/kv/tier-store.ts) keyed by prefix block hash. As vLLM's
 *   default `offload_prompt_only`, a request's full prompt blocks are stored once its prompt is
 *   computed (its first token sampled): blocks the CPU tier does not hold yet go D2H over each TP
 *   rank's PCIe link; blocks the CPU tier pushes out go CPU -> disk over the disk's write channel.
 *   The bookkeeping is done when a store starts (space is reserved then, as vLLM's prepare_store);
 *   a block whose bytes are still moving is not a hit for anyone (vLLM: only "ready" blocks are).
 *   The GPU copy of a block being stored is not pinned (a store takes ms; noted, not modelled).
 * - Loads: on admission, after the GPU prefix-cache hit, the next leading blocks held by the tiers
 *   are loaded (disk -> CPU, then CPU -> GPU over H2D) into GPU blocks the request has allocated;
 *   the request is not scheduled until every load flow has landed. The engine counts the loaded
 *   tokens as cached (vLLM's external prefix-cache hits).
 * - Swap (legacy vLLM V0 `--swap-space` with preemption mode swap): a preempted request's computed KV
 *   goes D2H into a bounded CPU swap area (full: recompute instead) and comes back H2D, into blocks
 *   allocated when the scheduler takes it back, instead of being recomputed.
 *
 * Per-shard flows: an instance of tp GPUs moves 1/tp of every block over each GPU's link; disk
 * traffic is one flow per shard on the node's disk.
 */
import type { FlowNetwork, FlowSpec } from '../hardware/flow-network.js';
import type { Route } from '../hardware/topology.js';
import type { Simulator } from '../kernel/simulator.js';
import { EventPriority } from './event-priorities.js';
import type { HashBlockKeys } from '../kv/hash-block-keys.js';
import { TierStore, type Holds, type TierStoreStats } from '../kv/tier-store.js';
import type { RequestState } from './request-state.js';

export interface KvTierRoutes {
  /** One per TP rank: GPU -> its node's host DRAM. */
  d2h: Route[];
  /** One per TP rank: host DRAM -> GPU. */
  h2d: Route[];
  /** Host DRAM -> disk and back (needed only with a disk tier). */
  toDisk?: Route;
  fromDisk?: Route;
}

export interface KvTiersConfig {
  instance: string;
  blockSizeTokens: number;
  /** KV bytes of one block, all TP ranks together. */
  blockBytes: number;
  /** CPU tier blocks; 0 = no CPU tier. */
  cpuBlocks: number;
  /** Disk tier blocks (below the CPU tier); 0 = none. */
  diskBlocks: number;
  /** CPU swap area blocks (preemption by swap); 0 = preempt by recompute. */
  swapBlocks: number;
}

/** A tier load in flight: its parts (CPU -> GPU, and disk -> CPU -> GPU) each end one move. */
class LoadState {
  readonly kind = 'load';
  /** Parts still moving. */
  left = 0;
  constructor(
    readonly r: RequestState,
    readonly startS: number,
    readonly onDone: () => void,
    readonly tag: string,
    /** Blocks read from disk (0: none), moved on to the GPU when they land in the CPU tier. */
    readonly diskBlocks: number,
  ) {}
}

type ReqState = LoadState | { kind: 'swap'; blocks: number; outDone: boolean; admitted: boolean; inStartS: number; onIn: (() => void) | null };

/** What a move does once all of its flows have landed (KvTiers.moveLanded). */
const enum MoveEnd {
  /** The store's holds on the moved blocks go (a store D2H, a demotion). */
  Land,
  /** One part of a load is in the GPU. */
  LoadPart,
  /** Disk blocks of a load are in the CPU tier: their holds go and they move on to the GPU. */
  DiskRead,
  /** A callback (swap). */
  Call,
}

/**
 * One call of KvTiers.shards: its flows (one per TP rank) share `landed` as their onDone, and what
 * happens at the end is a field, not a closure: a tier call made ~5 objects per move (the caller's
 * closure and its context, shards' closure and context, a spec per flow), allocation that every
 * scavenge paid for (docs/speed.md, tiers9 round).
 */
class Move {
  left: number;
  constructor(
    private readonly tiers: KvTiers,
    flows: number,
    readonly end: MoveEnd,
    readonly holds: Holds | null,
    readonly load: LoadState | null,
    readonly then: (() => void) | null,
  ) {
    this.left = flows;
  }
  readonly landed = (): void => this.tiers.moveLanded(this);
}

export interface TierOccupancyRow {
  tS: number;
  tier: string;
  occupancy: number;
}

/** A snapshot of one instance's tier counters (typed; the figures are made in src/metrics). */
export interface KvTierCounters {
  cfg: KvTiersConfig;
  /** Seconds the occupancy integrals cover. */
  spanS: number;
  c: Readonly<KvTiers['c']>;
  /** null without a CPU tier (swap only). */
  store: TierStoreStats | null;
  swapEnabled: boolean;
  cpuPeakBlocks: number;
  /** Integral of CPU tier blocks held over time, block-seconds (diskBlockSeconds, swapBlockSeconds alike). */
  cpuBlockSeconds: number;
  diskPeakBlocks: number;
  diskBlockSeconds: number;
  swapBlockSeconds: number;
}

const NO_PATH: readonly string[] = [];

/** Rows kept per tier before the series is thinned by half (the report shows ~300 points). */
const MAX_SERIES_ROWS = 20_000;

export class KvTiers {
  readonly store: TierStore | null;
  private readonly reqs = new Map<RequestState, ReqState>();
  /**
   * The occupancy series as columns, one entry per change (sample): rows are made only when read
   * (`series`), so a run does not keep ~20k row objects alive through its scavenges.
   */
  private readonly seriesS: Float64Array;
  private readonly seriesCpu: Float64Array;
  private readonly seriesDisk: Float64Array;
  private samples = 0;
  private readonly cpuTierName: string;
  private readonly diskTierName: string;
  private readonly demoteTag: string;
  private lastS = 0;
  private cpuHeld = 0;
  private diskHeld = 0;
  private cpuIntegral = 0;
  private diskIntegral = 0;
  private cpuPeak = 0;
  private diskPeak = 0;
  private swapIntegral = 0;
  readonly c = {
    lookups: 0,
    queriedTokens: 0,
    gpuHitBlocks: 0,
    cpuHitBlocks: 0,
    diskHitBlocks: 0,
    loads: 0,
    loadsDone: 0,
    loadWaitS: 0,
    loadWaitMaxS: 0,
    storedBlocks: 0,
    bytesD2H: 0,
    bytesH2D: 0,
    bytesToDisk: 0,
    bytesFromDisk: 0,
    swapOuts: 0,
    swapIns: 0,
    swapFallbacks: 0,
    swapUsed: 0,
    swapPeak: 0,
    swapWaitS: 0,
    swapBytesOut: 0,
    swapBytesIn: 0,
    flowsInFlight: 0,
  };

  constructor(
    private readonly sim: Simulator,
    private readonly net: FlowNetwork,
    private readonly routes: KvTierRoutes,
    readonly cfg: KvTiersConfig,
  ) {
    this.cpuTierName = `cpu ${cfg.instance}`;
    this.demoteTag = `tier ${cfg.instance} demote`;
    this.diskTierName = `disk ${cfg.instance}`;
    this.store = cfg.cpuBlocks > 0 ? new TierStore({ cpuBlocks: cfg.cpuBlocks, diskBlocks: cfg.diskBlocks, blockBytes: cfg.blockBytes }) : null;
    if (cfg.diskBlocks > 0 && (!routes.toDisk || !routes.fromDisk)) throw new Error(`${cfg.instance}: a disk KV tier needs a disk`);
    // One disk flow per TP rank, as the PCIe shards: the per-rank route lists made once, not per flow.
    this.toDiskShards = routes.toDisk ? routes.d2h.map(() => routes.toDisk!) : [];
    this.fromDiskShards = routes.fromDisk ? routes.d2h.map(() => routes.fromDisk!) : [];
    this.lastS = sim.now;
    // Room for the most samples kept before thinning: one more than MAX_SERIES_ROWS rows' worth.
    const cap = Math.floor(MAX_SERIES_ROWS / (cfg.diskBlocks > 0 ? 2 : 1)) + 1;
    this.seriesS = new Float64Array(cap);
    this.seriesCpu = new Float64Array(cap);
    this.seriesDisk = new Float64Array(cfg.diskBlocks > 0 ? cap : 0);
  }

  /** Occupancy rows per change, CPU then disk (when there is one) at each time. */
  get series(): TierOccupancyRow[] {
    const rows: TierOccupancyRow[] = [];
    const disk = this.cfg.diskBlocks > 0;
    for (let i = 0; i < this.samples; i++) {
      rows.push({ tS: this.seriesS[i]!, tier: this.cpuTierName, occupancy: this.seriesCpu[i]! });
      if (disk) rows.push({ tS: this.seriesS[i]!, tier: this.diskTierName, occupancy: this.seriesDisk[i]! });
    }
    return rows;
  }

  private readonly toDiskShards: readonly Route[];
  private readonly fromDiskShards: readonly Route[];

  /**
   * Whether the engine may complete iterations ahead of the clock (EngineInstance.runsAhead): its
   * calls here then carry the engine's own time, and flows started ahead are held until that time
   * (shards). Not with swap, whose calls (preemption, swap-in) keep the clock's time.
   */
  get runsAheadOk(): boolean {
    return !this.swapEnabled;
  }

  get swapEnabled(): boolean {
    return this.cfg.swapBlocks > 0;
  }

  /** Loading or swapping in: the scheduler skips it. */
  busy(r: RequestState): boolean {
    const s = this.reqs.get(r);
    return s !== undefined && (s.kind === 'load' || s.admitted);
  }

  /** Swapped out and not yet taken back by the scheduler. */
  swappedOut(r: RequestState): boolean {
    const s = this.reqs.get(r);
    return s !== undefined && s.kind === 'swap' && !s.admitted;
  }

  /** Leading blocks of keys[from, to) the tiers hold and can load now (no side effect). */
  hits(keys: HashBlockKeys, from: number, to: number): number {
    return this.store === null ? 0 : this.store.readyHits(keys, from, to);
  }

  /** A request starting from zero was admitted: `tokens` queried, GPU and tier hits in blocks. */
  noteAdmission(tokens: number, gpuHitBlocks: number): void {
    this.c.lookups++;
    this.c.queriedTokens += tokens;
    this.c.gpuHitBlocks += gpuHitBlocks;
  }

  /**
   * Loads keys[from, to) (all held by the tiers, see `hits`; a request's own key array, no copy)
   * into GPU blocks the request holds, from the engine's time `atS` (see `runsAheadOk`); `onDone`
   * runs when the last byte has landed.
   */
  startLoad(r: RequestState, keys: HashBlockKeys, from: number, to: number, atS: number, onDone: () => void): void {
    const store = this.store!;
    this.advanceTo(atS);
    const mv = store.load(keys, from, to);
    const cpuCount = mv.cpu;
    const diskCount = mv.disk;
    this.c.cpuHitBlocks += cpuCount;
    this.c.diskHitBlocks += diskCount;
    this.c.loads++;
    const st = new LoadState(r, atS, onDone, `tier r${r.spec.id} h2d`, diskCount);
    this.reqs.set(r, st);
    if (cpuCount > 0) {
      st.left++;
      this.c.bytesH2D += cpuCount * this.cfg.blockBytes;
      this.shards(this.routes.h2d, cpuCount, st.tag, atS, MoveEnd.LoadPart, null, st, null);
    }
    if (diskCount > 0) {
      st.left++;
      this.afterMove(mv.demoted, atS);
      this.c.bytesFromDisk += diskCount * this.cfg.blockBytes;
      this.shards(this.fromDiskShards, diskCount, `tier r${r.spec.id} disk read`, atS, MoveEnd.DiskRead, mv.read, st, null);
    }
    this.sample(atS);
  }

  /** @internal A move's flows have all landed (Move.landed, its flows' onDone). */
  moveLanded(m: Move): void {
    this.c.flowsInFlight--;
    if (--m.left > 0) return;
    switch (m.end) {
      case MoveEnd.Land:
        this.store!.land(m.holds!);
        return;
      case MoveEnd.Call:
        m.then!();
        return;
      case MoveEnd.DiskRead: {
        this.store!.land(m.holds!);
        const st = m.load!;
        this.c.bytesH2D += st.diskBlocks * this.cfg.blockBytes;
        this.shards(this.routes.h2d, st.diskBlocks, st.tag, this.sim.now, MoveEnd.LoadPart, null, st, null);
        return;
      }
      case MoveEnd.LoadPart: {
        const st = m.load!;
        if (--st.left > 0) return;
        this.reqs.delete(st.r);
        const waitS = this.sim.now - st.startS;
        this.c.loadsDone++;
        this.c.loadWaitS += waitS;
        this.c.loadWaitMaxS = Math.max(this.c.loadWaitMaxS, waitS);
        st.onDone();
      }
    }
  }

  /** The request's prompt blocks are complete at the engine's time `atS`: store those not in the CPU tier yet (offload_prompt_only). */
  offloadPrompt(r: RequestState, atS: number): void {
    if (this.store === null || r.blockKeys.length === 0) return;
    this.advanceTo(atS);
    // The store holds the written and demoted blocks itself and answers their keys; the flows below release them.
    const store = this.store;
    const res = store.offload(r.blockKeys, 0, r.blockKeys.length);
    if (res.written.blocks > 0) {
      this.c.storedBlocks += res.written.blocks;
      this.c.bytesD2H += res.written.blocks * this.cfg.blockBytes;
      this.shards(this.routes.d2h, res.written.blocks, `tier r${r.spec.id} store`, atS, MoveEnd.Land, res.written, null, null);
    }
    this.afterMove(res.demoted, atS);
    this.sample(atS);
  }

  /**
   * Preemption: swaps `blocks` blocks of the victim's KV out to the CPU swap area; false when swap
   * is off or the area is full (the caller recomputes instead).
   */
  trySwapOut(r: RequestState, blocks: number): boolean {
    if (!this.swapEnabled || blocks <= 0) return false;
    if (this.c.swapUsed + blocks > this.cfg.swapBlocks) {
      this.c.swapFallbacks++;
      return false;
    }
    this.advance();
    this.c.swapUsed += blocks;
    this.c.swapPeak = Math.max(this.c.swapPeak, this.c.swapUsed);
    this.c.swapOuts++;
    this.c.swapBytesOut += blocks * this.cfg.blockBytes;
    this.c.bytesD2H += blocks * this.cfg.blockBytes;
    const st: ReqState = { kind: 'swap', blocks, outDone: false, admitted: false, inStartS: 0, onIn: null };
    this.reqs.set(r, st);
    this.toHost(blocks, `swap r${r.spec.id} out`, () => {
      st.outDone = true;
      if (st.onIn) this.swapInFlow(r, st);
    });
    return true;
  }

  /** The scheduler took a swapped-out request back (its GPU blocks are allocated): copy its KV in. */
  startSwapIn(r: RequestState, onDone: () => void): void {
    const st = this.reqs.get(r);
    if (st === undefined || st.kind !== 'swap' || st.admitted) throw new Error(`request ${r.spec.id} is not swapped out`);
    st.admitted = true;
    st.inStartS = this.sim.now;
    st.onIn = onDone;
    if (st.outDone) this.swapInFlow(r, st);
  }

  private swapInFlow(r: RequestState, st: Extract<ReqState, { kind: 'swap' }>): void {
    this.c.swapBytesIn += st.blocks * this.cfg.blockBytes;
    this.c.bytesH2D += st.blocks * this.cfg.blockBytes;
    this.toGpu(st.blocks, `swap r${r.spec.id} in`, () => {
      this.advance();
      this.c.swapUsed -= st.blocks;
      this.c.swapIns++;
      this.c.swapWaitS += this.sim.now - st.inStartS;
      this.reqs.delete(r);
      st.onIn!();
    });
  }

  /** Throws when bookkeeping is broken (tests): tier store invariants, swap area, requests in flight. */
  checkConservation(): void {
    this.store?.checkInvariants();
    let swapped = 0;
    for (const s of this.reqs.values()) if (s.kind === 'swap') swapped += s.blocks;
    if (swapped !== this.c.swapUsed || this.c.swapUsed < 0 || this.c.swapUsed > this.cfg.swapBlocks) {
      throw new Error(`${this.cfg.instance}: swap area holds ${this.c.swapUsed} blocks, swapped requests ${swapped}, capacity ${this.cfg.swapBlocks}`);
    }
    const held = this.store?.heldInFlight ?? 0;
    if (this.c.flowsInFlight === 0 && held > 0) throw new Error(`${this.cfg.instance}: ${held} blocks pending with no flow in flight`);
  }

  /** Requests loading or swapped, and flows in flight (0 at the end of a run). */
  get inFlight(): { requests: number; flows: number } {
    return { requests: this.reqs.size, flows: this.c.flowsInFlight };
  }

  /**
   * The counters behind summary.pdsim.kv_tiers[instance] and swap[instance], integrated up to
   * `durationS` (src/metrics/kv-tiers-summary.ts turns them into figures).
   */
  counters(durationS: number): KvTierCounters {
    this.advanceTo(Math.max(durationS, this.lastS));
    return {
      cfg: this.cfg,
      spanS: Math.max(durationS, this.lastS),
      c: { ...this.c },
      store: this.store === null ? null : this.store.stats(),
      swapEnabled: this.swapEnabled,
      cpuPeakBlocks: this.cpuPeak,
      cpuBlockSeconds: this.cpuIntegral,
      diskPeakBlocks: this.diskPeak,
      diskBlockSeconds: this.diskIntegral,
      swapBlockSeconds: this.swapIntegral,
    };
  }

  // --- moving bytes -------------------------------------------------------------------------

  private toHost(blocks: number, tag: string, onDone: () => void): void {
    this.shards(this.routes.d2h, blocks, tag, this.sim.now, MoveEnd.Call, null, null, onDone);
  }

  private toGpu(blocks: number, tag: string, onDone: () => void): void {
    this.shards(this.routes.h2d, blocks, tag, this.sim.now, MoveEnd.Call, null, null, onDone);
  }

  /**
   * One flow per TP rank, each 1/tp of the bytes, started at `atS`; `onDone` once all have landed.
   * An engine running ahead of the clock (runsAheadOk) calls at its own time, before anything else
   * can act on the network (its horizon), so each flow is entered at once as startFlow would at `atS`
   * (FlowNetwork.startFlowAt: no event at `atS`). One the network cannot enter ahead (no latency and
   * not alone on its links) is held, with every later one at that time, and started in call order by
   * one event at `atS` (priority of the iteration end that would have started it step by step): the
   * network sees the same starts at the same instants in the same order as step by step.
   */
  private shards(routes: readonly Route[], blocks: number, tag: string, atS: number, end: MoveEnd, holds: Holds | null, load: LoadState | null, then: (() => void) | null): void {
    this.c.flowsInFlight += routes.length;
    const bytes = (blocks * this.cfg.blockBytes) / routes.length;
    const landed = new Move(this, routes.length, end, holds, load, then).landed;
    const ahead = atS > this.sim.now;
    // One spec for every flow the network enters now (it copies what it keeps); a held one gets its own.
    const spec = this.spec;
    for (const r of routes) {
      spec.path = r.path;
      spec.bytes = bytes;
      spec.latencyS = r.latencyS;
      spec.rateCapBytesPerS = r.rateCapBytesPerS;
      spec.tag = tag;
      spec.onDone = landed;
      if (!ahead) {
        this.net.startFlow(spec);
      } else if (this.heldStarts.length === 0 && this.net.startFlowAt(atS, spec) !== null) {
        this.flowsAhead++;
      } else {
        this.hold(atS, { ...spec });
      }
    }
    spec.onDone = undefined;
    spec.path = NO_PATH;
  }
  private readonly spec: FlowSpec = { path: NO_PATH, bytes: 0, latencyS: 0, rateCapBytesPerS: undefined, tag: '', onDone: undefined };

  /** Flows entered ahead of the clock, and events that started held ones (counts for tests; not in any output). */
  flowsAhead = 0;
  heldEvents = 0;
  /** Flow starts held for `heldAtS` (shards), in call order. */
  private readonly heldStarts: FlowSpec[] = [];
  private heldAtS = -1;
  private hold(atS: number, spec: FlowSpec): void {
    if (this.heldStarts.length === 0) {
      this.heldAtS = atS;
      this.heldEvents++;
      this.sim.scheduleAt(atS, this.onHeldDue, EventPriority.iterationEnd);
    } else if (atS !== this.heldAtS) {
      // The held event bounds the engine's horizon: it cannot run past it.
      throw new Error(`${this.cfg.instance}: KV tier flows held for ${this.heldAtS} s, asked again for ${atS} s`);
    }
    this.heldStarts.push(spec);
  }
  private readonly onHeldDue = (): void => {
    const held = this.heldStarts;
    // startFlow never calls back at once (a flow's end is an event of its own), so nothing joins the list meanwhile.
    for (let i = 0; i < held.length; i++) this.net.startFlow(held[i]!);
    held.length = 0;
    this.heldAtS = -1;
  };

  /** Demoted blocks (already held by the store) are written CPU -> disk from `atS`; evicted ones just vanish. */
  private afterMove(demoted: Holds, atS: number): void {
    if (demoted.blocks === 0) return;
    this.c.bytesToDisk += demoted.blocks * this.cfg.blockBytes;
    this.shards(this.toDiskShards, demoted.blocks, this.demoteTag, atS, MoveEnd.Land, demoted, null, null);
  }

  // --- occupancy ----------------------------------------------------------------------------

  private advance(): void {
    this.advanceTo(this.sim.now);
  }

  private advanceTo(t: number): void {
    const dt = t - this.lastS;
    if (dt > 0) {
      this.cpuIntegral += this.cpuHeld * dt;
      this.diskIntegral += this.diskHeld * dt;
      this.swapIntegral += this.c.swapUsed * dt;
      this.lastS = t;
    }
  }

  /** After a change of the tier store at `t`: new occupancy, peaks, a series row per tier. */
  private sample(t: number): void {
    // Held counts straight from the store (no stats object per change), tier names built once.
    const store = this.store!;
    this.cpuHeld = store.cpuHeld;
    this.diskHeld = store.diskHeld;
    this.cpuPeak = Math.max(this.cpuPeak, this.cpuHeld);
    this.diskPeak = Math.max(this.diskPeak, this.diskHeld);
    const n = this.samples++;
    this.seriesS[n] = t;
    this.seriesCpu[n] = this.cpuHeld / this.cfg.cpuBlocks;
    const disk = this.cfg.diskBlocks > 0;
    if (disk) this.seriesDisk[n] = this.diskHeld / this.cfg.diskBlocks;
    if (this.samples * (disk ? 2 : 1) > MAX_SERIES_ROWS) {
      // Keep every other sample (the report thins to ~300 points per tier anyway).
      let w = 0;
      for (let i = 0; i < this.samples; i += 2, w++) {
        this.seriesS[w] = this.seriesS[i]!;
        this.seriesCpu[w] = this.seriesCpu[i]!;
        if (disk) this.seriesDisk[w] = this.seriesDisk[i]!;
      }
      this.samples = w;
    }
  }
}
