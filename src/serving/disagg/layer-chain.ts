/**
 * A layer-wise staging transfer computed ahead: when every chunk of one request would move alone on
 * its links (each D2H copy done before the next layer is due, each H2D pull alone on its link), the
 * chunk schedule is arithmetic. Layer i falls due at d_i (its compute ends), takes staging pages,
 * copies D2H over [d_i + latency, f1_i] and is pulled H2D over [f1_i + latency, f2_i], with the
 * same operations the flow network's solo flows use (FlowNetwork.soloStride). So instead of ~3 events
 * per layer the transfer holds two: the last D2H copy (the prefill side frees its blocks) and the
 * last pull (the KV is ready); at each, the steps due by then are applied in time order with their
 * own times (channel integrals, staging pages and occupancy series, the transfer's counters).
 *
 * Exactness: the chain claims its channels (and their duplex partners) and the staging buffer. Any
 * other flow on them, or a read of their figures, makes it materialize first ("materialize on
 * read"): the steps due by now are applied, flows in flight become the solo flows the network would
 * hold, and chunks not yet due get their ordinary events, so from then on the transfer runs chunk by
 * chunk exactly as if it never had been a chain (pd-fast-path.test.ts compares byte for byte). A
 * chain whose steps are not strictly ordered in time, or that a buffer might not hold, is not made.
 * A chain may follow another on the same links when its first step comes after the other's last;
 * it then settles that one first. A transfer whose decode side is not reserved yet gets a chain of
 * its D2H copies only (copied chunks wait in staging for the pull, as chunk by chunk); the
 * reservation arriving mid-way materializes it.
 */
import type { EventHandle, Simulator } from '../../kernel/simulator.js';
import { soloActiveS, soloFinishS, type FlowNetwork, type SoloPath, type SoloPlan, type SoloStride } from '../../hardware/flow-network.js';
import type { Route } from '../../hardware/topology.js';
import { TAKEN_BY_COUNT, type Reservation, type StagingBuffer } from '../../kv/staging-buffer.js';
import type { Transfer, TransferChain } from './transfer.js';

/** What the chain needs of its transfer manager. */
export interface ChainHost {
  sim: Simulator;
  net: FlowNetwork;
  /** [D2H route, H2D route] of a transfer whose destination is known, [D2H route] otherwise. */
  routes(t: Transfer): Route[];
  staging(t: Transfer): StagingBuffer | undefined;
  /** Releases the source / reports the KV ready when their legs are all done; `atS`: when the last leg ended. */
  check(t: Transfer, atS: number): void;
  /** Ordinary chunk-by-chunk events from chunk `from` on. */
  scheduleDueFrom(t: Transfer, from: number): void;
  /** The ordinary ends of a chunk's D2H and H2D legs (the flows' onDone). */
  afterSourceLeg(t: Transfer, res: Reservation): void;
  afterPull(t: Transfer, res: Reservation): void;
}

/** Step kinds, applied in time order: pages taken (d_i), D2H done (f1_i), H2D done (f2_i). */
const TAKE = 0;
const COPIED = 1;
const PULLED = 2;

/** The channels a chain on these routes claims, and whether its two legs share one (built once per route pair). */
interface Claims {
  ids: readonly string[];
  shared: boolean;
  /** A route crosses a non-binding channel: its meter runs in time order, a chain replays behind it. */
  nonBinding: boolean;
}
const claimsByRoutes = new WeakMap<Route, Map<Route | null, Claims>>();

function claimsOf(net: FlowNetwork, r1: Route, r2: Route | undefined): Claims {
  let byR2 = claimsByRoutes.get(r1);
  if (byR2 === undefined) claimsByRoutes.set(r1, (byR2 = new Map()));
  let c = byR2.get(r2 ?? null);
  if (c === undefined) {
    const ids1 = net.claimableChannels(r1.path);
    const ids2 = r2 === undefined ? [] : net.claimableChannels(r2.path);
    const nonBinding = net.crossesNonBinding(r1.path) || (r2 !== undefined && net.crossesNonBinding(r2.path));
    c = { ids: [...new Set([...ids1, ...ids2])], shared: ids1.some((id) => ids2.includes(id)), nonBinding };
    byR2.set(r2 ?? null, c);
  }
  return c;
}

/**
 * A layer's pages taken without a reservation object (StagingBuffer.takeAt, counts-only buffers):
 * a chain that pulls its own chunks frees them by count, so ~32 objects per transfer are never made;
 * a chunk handed over (copies only, materialize) stays taken by count too: its pull's end frees it
 * with freeTakenAt (KvTransferManager.afterPull).
 */
const TAKEN = TAKEN_BY_COUNT;

// Scratch for plan (one chain is planned at a time): each layer's copy and pull end.
const copyEnds: number[] = [];
const pullEnds: number[] = [];

/**
 * A chain whose steps are all due by `nowS` but whose finish was deferred (deferFinish) is settled
 * now, so that it does not keep the buffer and links from the next transfer (the hand-off is then
 * scheduled as an event, as without the deferral).
 */
export function settleFinished(buf: StagingBuffer, nowS: number): void {
  const c = buf.claim;
  if (c instanceof LayerChain && !c.done && c.lastS <= nowS) c.advance();
}

export class LayerChain implements TransferChain {
  /** Chains made and handed back, process-wide (tests check both paths ran). */
  static readonly counts = { made: 0, materialized: 0, resumed: 0, deferred: 0, ahead: 0 };
  /**
   * Its steps are two sequences merged in time order (strictly increasing, checked when made):
   * A, each layer's take (its due time) then its copy's end, and B, each layer's pull end; `a`
   * and `b` are the next of each (a = 2 x layer + 0 take / 1 copied). Walked, not stored: a list
   * of ~96 steps with times and codes per chain was a tenth of a P/D run's allocation.
   */
  private a: number;
  private b: number;
  private readonly nA: number;
  private readonly nB: number;
  /** Each layer's D2H end (where its pull starts), and its H2D end (null: copies only). */
  private readonly copyEndS: number[];
  private readonly pullEndS: number[] | null;
  /** Time of its last step. */
  readonly lastS: number;
  /**
   * Each layer's pages as a reservation, for a buffer that keeps page numbers; null for a
   * counts-only one (the pages are taken by count, TAKEN: held from a layer's take until its pull,
   * or its copy's end for copies only).
   */
  private readonly res: (Reservation | null)[] | null;
  private readonly events: EventHandle[] = [];
  /** The event that applies its last step (events' last entry; moved by deferFinish). */
  private finishEvent: EventHandle | null = null;
  /** @internal Released (every step applied, or handed back). */
  done = false;
  /** The chain before it on the same links, settled first while it is live. */
  private prev: LayerChain | null;
  /** Staging pages of all its chunks (what it may hold at most). */
  readonly pages: number;
  /** D2H copies only: the destination was not known when it was made. */
  private readonly copyOnly: boolean;
  /** What replaySoloOn is handed (filled per step). */
  private readonly plan: SoloPlan = { rate: 0, activeS: 0, finishS: 0 };
  /** Its two routes' channels, resolved once (the pull's: null for copies only). */
  private readonly path1: SoloPath;
  private readonly path2: SoloPath | null;

  private constructor(
    private readonly t: Transfer,
    private readonly host: ChainHost,
    private readonly buf: StagingBuffer,
    private readonly routes: Route[],
    private readonly claimed: readonly string[],
    private readonly s1: SoloStride,
    private readonly s2: SoloStride | null,
    prev: LayerChain | null,
    /** Its first layer (the layers before it ran chunk by chunk, or in a chain handed back). */
    private readonly from: number,
  ) {
    const L = t.dueS.length;
    this.copyEndS = copyEnds.slice(0, L);
    this.pullEndS = s2 === null ? null : pullEnds.slice(0, L);
    this.a = 2 * from;
    this.b = from;
    this.nA = 2 * L;
    this.nB = s2 === null ? from : L;
    this.lastS = s2 === null ? this.copyEndS[L - 1]! : this.pullEndS![L - 1]!;
    this.res = buf.keepsPageNumbers ? new Array<Reservation | null>(L).fill(null) : null;
    this.path1 = host.net.soloPath(routes[0]!.path);
    this.path2 = routes.length > 1 ? host.net.soloPath(routes[1]!.path) : null;
    this.prev = prev;
    this.pages = (L - from) * buf.pagesFor(t.shardBytes);
    this.copyOnly = routes.length === 1;
  }

  /**
   * The chain of a layer-wise staging transfer from one source GPU to one destination GPU, made at
   * its first chunk's due event (instead of launching it), or null when it would not be exact (the
   * transfer then runs chunk by chunk). Claims its channels and buffer, schedules its two events and
   * applies its first step. `from` > 0: the chain of layers from..L-1 only, made at layer from's due
   * event (a chain of copies handed back when the decode side was reserved mid-way: once the staged
   * chunks are pulled, the layers left move alone again); the layers before are the network's.
   */
  static plan(t: Transfer, host: ChainHost, from = 0, ahead = false): LayerChain | null {
    const { sim, net } = host;
    const dueS = t.dueS;
    const L = dueS.length;
    if (t.srcGpus.length !== 1 || (t.dstGpus !== null && t.dstGpus.length !== 1) || t.pieces !== 1 || !Number.isInteger(t.shardBytes) || !(from < L) || L > 65535) return null;
    // `ahead`: made before layer `from` falls due (from its transfer's launch); its claims hold from now.
    if (ahead ? !(dueS[from]! >= sim.now) : dueS[from]! !== sim.now) return null;
    const buf = host.staging(t);
    if (buf === undefined) return null;
    settleFinished(buf, sim.now);
    const prev = buf.claim instanceof LayerChain && !buf.claim.done ? buf.claim : null;
    if (buf.claim !== null && prev === null) return null;
    if (prev !== null && !(prev.lastS < dueS[from]!)) return null;
    // Pages: every chunk's take must succeed whatever the chains before it still hold (bytes are integers: sums exact).
    let pending = (L - from) * buf.pagesFor(t.shardBytes);
    for (let c = prev; c !== null; c = c.prev) pending += c.pages;
    if (pending > buf.freePagesUnqueued) return null;
    const routes = host.routes(t);
    const [r1, r2] = routes as [Route, Route | undefined];
    const claims = claimsOf(net, r1, r2);
    if (claims.nonBinding || !net.idleUnclaimed(claims.ids, prev)) return null;
    // Each flow must start with its links idle of the chain's other flows (then it is solo): a copy
    // after the previous copy (and pull, where the two routes share a link), a pull after the previous pull.
    const shared = claims.shared;
    const bytes = t.shardBytes;
    // Every chunk has the same bytes and routes: one stride per leg, finish = soloFinishS(stride, start).
    const s1 = net.soloStride(r1.path, bytes, r1.latencyS, r1.rateCapBytesPerS ?? Infinity);
    const s2 = r2 === undefined ? null : net.soloStride(r2.path, bytes, r2.latencyS, r2.rateCapBytesPerS ?? Infinity);
    let copyEndS = -Infinity;
    let pullEndS = -Infinity;
    for (let i = from; i < L; i++) {
      const d = dueS[i]!;
      if (!(copyEndS < d) || (shared && !(pullEndS < d))) return null;
      copyEndS = copyEnds[i] = soloFinishS(s1, d);
      if (s2 === null) continue;
      if (!(pullEndS < copyEndS)) return null;
      pullEndS = pullEnds[i] = soloFinishS(s2, copyEndS);
    }
    // Merge sequence A (d_from, f1_from, d_from+1, ...) with sequence B (f2_from, f2_from+1, ...);
    // any tie between steps leaves their order to event sequence numbers: not made then.
    // (The chain walks the same merge as it applies its steps: the same comparisons, so the same order.)
    const nA = 2 * L;
    const nB = s2 === null ? from : L;
    let a = 2 * from;
    let b = from;
    let lastS = -Infinity;
    while (a < nA || b < nB) {
      const layerA = a >>> 1;
      const timeA = a < nA ? ((a & 1) === 0 ? dueS[layerA]! : copyEnds[layerA]!) : Infinity;
      let timeS: number;
      if (b >= nB || (a < nA && timeA < pullEnds[b]!)) {
        timeS = timeA;
        a++;
      } else {
        timeS = pullEnds[b]!;
        b++;
      }
      if (!(lastS < timeS)) return null;
      lastS = timeS;
    }
    const chain = new LayerChain(t, host, buf, routes, claims.ids, s1, s2, prev, from);
    LayerChain.counts.made++;
    if (from > 0) LayerChain.counts.resumed++;
    if (dueS[from]! > sim.now) LayerChain.counts.ahead++;
    net.setClaim(claims.ids, chain);
    buf.claim = chain;
    const lastCopyS = copyEnds[L - 1]!;
    if (r2 !== undefined) chain.events.push(sim.scheduleAt(lastCopyS, () => chain.advance(), net.priority));
    chain.events.push((chain.finishEvent = sim.scheduleAt(chain.lastS, () => chain.finish(), net.priority)));
    // The first step (layer from's pages) is due now (not yet when made ahead).
    chain.advance();
    return chain;
  }

  /**
   * Applies every step due by now (a step at this very instant has run: its events come first).
   * The chain before it first: its last steps come before this one's first, but a deferred finish
   * (deferFinish) may not have applied them yet. Once all are applied the chain is released.
   */
  advance(): void {
    if (this.done) return;
    if (this.prev !== null) {
      this.prev.advance();
      if (this.prev.done) this.prev = null;
    }
    const now = this.host.sim.now;
    const { nA, nB, copyEndS, pullEndS } = this;
    const dueS = this.t.dueS;
    for (;;) {
      const a = this.a;
      const b = this.b;
      if (a < nA && (b >= nB || (a & 1 ? copyEndS[a >>> 1]! : dueS[a >>> 1]!) < pullEndS![b]!)) {
        const timeS = (a & 1) === 0 ? dueS[a >>> 1]! : copyEndS[a >>> 1]!;
        if (!(timeS <= now)) break;
        this.a = a + 1;
        this.apply((a & 1) === 0 ? TAKE : COPIED, a >>> 1);
      } else if (b < nB) {
        const timeS = pullEndS![b]!;
        if (!(timeS <= now)) break;
        this.b = b + 1;
        this.apply(PULLED, b);
      } else break;
    }
    if (this.a === nA && this.b === nB) {
      for (const e of this.events) e.cancel();
      this.release();
    }
  }

  private finish(): void {
    this.advance();
    this.release();
  }

  /**
   * The KV is handed to the decode engine no earlier than `atS` (the decode leg's arrival), so the
   * last pull's event moves there when that is later: the pull is applied with its own time and the
   * hand-off follows in the same event (one event instead of two: the pull, then the admission the
   * pull would have scheduled at atS). Until then the chain still holds its claims, so whoever
   * reads its links or buffer first settles it, and the hand-off is then scheduled as before.
   * Priority 0: the admission event's (PdDeployment.onReady).
   */
  deferFinish(atS: number): void {
    if (this.done || this.copyOnly || !(atS > this.lastS) || this.finishEvent === null) return;
    this.finishEvent.cancel();
    LayerChain.counts.deferred++;
    const chain = this;
    this.events[this.events.length - 1] = this.finishEvent = this.host.sim.scheduleAt(atS, () => chain.finish(), 0);
  }

  private release(): void {
    this.done = true;
    this.prev = null;
    this.host.net.setClaim(this.claimed, null, this);
    if (this.buf.claim === this) this.buf.claim = null;
    this.t.chain = null;
  }

  /**
   * Applies one step at its own time, read here from the step arrays: a time computed by the caller
   * and passed in is a fresh heap number per call (apply is not inlined), ~24 MB of a 20k run.
   * Each case loads its own time where it is used: one time shared by the three cases was boxed at
   * every step (a double passed to a call that is not inlined is), though only some calls need it.
   */
  private apply(kind: number, layer: number): void {
    const t = this.t;
    const net = this.host.net;
    const plan = this.plan;
    switch (kind) {
      case TAKE: {
        const res = this.res;
        const r = res !== null ? this.buf.reserveAt(t.req.spec.id, t.shardBytes, t.dueS[layer]!) : this.buf.takeAtOf(t.req.spec.id, t.shardBytes, t.dueS, layer) ? TAKEN : null;
        if (r === null) throw new Error(`LayerChain bug: request ${t.req.spec.id} layer ${layer}: staging pages not free`);
        if (res !== null) res[layer] = r;
        if (Number.isNaN(t.firstMoveS)) t.firstMoveS = t.dueS[layer]!;
        break;
      }
      case COPIED:
        plan.rate = this.s1.rate;
        plan.activeS = soloActiveS(this.s1, t.dueS[layer]!);
        plan.finishS = this.copyEndS[layer]!;
        net.replaySoloOn(this.path1, t.shardBytes, t.tag, plan);
        t.srcLeft--;
        if (this.copyOnly) {
          // As afterSourceLeg with no destination yet: the staged chunk waits for its pull.
          t.waiting.push({ shard: 0, res: this.held(layer) });
          if (this.res !== null) this.res[layer] = null;
        }
        // check acts only once a side has no legs left (srcLeft or dstLeft 0): skipped before.
        if (t.srcLeft === 0) this.host.check(t, this.copyEndS[layer]!);
        break;
      case PULLED: {
        plan.rate = this.s2!.rate;
        plan.activeS = soloActiveS(this.s2!, this.copyEndS[layer]!);
        plan.finishS = this.pullEndS![layer]!;
        net.replaySoloOn(this.path2!, t.shardBytes, t.tag, plan);
        const res = this.res;
        if (res === null) this.buf.freeTakenAt(t.req.spec.id, t.shardBytes, this.pullEndS![layer]!);
        else {
          this.buf.freeAt(res[layer]!, this.pullEndS![layer]!);
          res[layer] = null;
        }
        t.dstLeft--;
        if (t.srcLeft === 0 || t.dstLeft === 0) this.host.check(t, this.pullEndS![layer]!);
        break;
      }
    }
  }

  /** Whether layer `layer`'s pages are held now (taken, not yet pulled, nor handed over as a copied chunk). */
  private heldNow(layer: number): boolean {
    if (this.res !== null) return this.res[layer] !== null && this.res[layer] !== undefined;
    if (layer < this.from || !(this.a > 2 * layer)) return false;
    return this.copyOnly ? !(this.a > 2 * layer + 1) : !(this.b > layer);
  }

  /** Layer `layer`'s pages as its holder frees them: its reservation, or TAKEN (taken by count, freed with freeTakenAt). */
  private held(layer: number): Reservation {
    return this.res !== null ? this.res[layer]! : TAKEN;
  }

  /**
   * Hands the transfer back to chunk-by-chunk simulation at now: the chain before it first, then
   * the steps due by now, then flows in flight as solo flows and chunks not yet due as events.
   */
  materialize(): void {
    if (this.done) return;
    LayerChain.counts.materialized++;
    this.prev?.materialize();
    this.advance();
    for (const e of this.events) e.cancel();
    this.release();
    const { t, host } = this;
    if (this.a === 2 * this.from && this.b === this.from && t.dueS[this.from]! > host.sim.now) {
      // Made ahead, no step applied yet (a batch-mate began, or its links were touched): every
      // layer is still to fall due, nothing is held or in flight.
      host.scheduleDueFrom(t, this.from);
      return;
    }
    const [r1, r2] = this.routes as [Route, Route | undefined];
    const now = host.sim.now;
    let firstPending = -1;
    for (let layer = this.from; layer < this.copyEndS.length; layer++) {
      const res = this.heldNow(layer) ? this.held(layer) : null;
      const copyEndS = this.copyEndS[layer]!;
      if (t.dueS[layer]! > now) {
        if (firstPending < 0) firstPending = layer;
      } else if (copyEndS > now) {
        host.net.adoptSolo({ ...r1, bytes: t.shardBytes, tag: t.tag, onDone: () => host.afterSourceLeg(t, res!) }, t.dueS[layer]!);
      } else if (res !== null && r2 !== undefined) {
        host.net.adoptSolo({ ...r2, bytes: t.shardBytes, tag: t.tag, onDone: () => host.afterPull(t, res) }, copyEndS);
      }
    }
    if (firstPending >= 0) host.scheduleDueFrom(t, firstPending);
  }
}
