/**
 * The flow network's shared-allocation layer: the channels and their duplex couplings, the set of
 * moving flows, and the max-min re-rating that runs whenever that set changes (a flow starts moving
 * or ends), with the single next-completion event it leaves in the kernel. Between two re-rates
 * every rate is constant, so advance() brings bytes and channel integrals up to now in closed form.
 * See DESIGN.md section 2, layer 2. Solo flows (flow-solo.ts) and the public API with claims
 * (flow-network.ts) are built on this class; the duplex coupling is explained in flow-network.ts.
 */
import type { EventHandle, Simulator } from '../kernel/simulator.js';
import { didYouMean } from '../errors.js';
import { maxMinFairRatesInto, type ChannelUse, type FairShareFlow } from './max-min.js';
import type { FlowNetworkListener } from './flow-types.js';
import { CAPACITY_TOLERANCE, NO_FREE_USES, TIME_TOLERANCE, type Channel, type ChannelClaim, type Flow, type FreeUse, type Use } from './flow-parts.js';
import { FreeMeter } from './flow-free.js';

/** A path's channels as the network resolves them once (usesOf), with the last fair-share view made on it. */
export interface PathUses {
  ids: readonly string[];
  uses: readonly Use[];
  /** Its non-binding channels, kept out of `uses` (flow-free.ts). */
  free: readonly FreeUse[];
  shareUses: readonly ChannelUse[];
  share: FairShareFlow | null;
}

export abstract class FlowAllocation {
  protected readonly channels = new Map<string, Channel>();
  protected readonly channelList: Channel[] = [];
  private readonly capacities: number[] = [];
  /** Moving flows in start order, so simultaneous finishes are reported deterministically. */
  protected readonly moving = new Set<Flow>();
  protected readonly busyChannels = new Set<Channel>();
  protected lastAdvanceS = 0;
  private readonly scratchFlows: Flow[] = [];
  private readonly scratchShares: FairShareFlow[] = [];
  private readonly scratchRates: number[] = [];
  private nextCompletion?: EventHandle;
  /**
   * A burst of equal flows accounted ahead (flow-burst.ts) while the allocation is otherwise empty:
   * it settles before anything advances the allocation (a flow entering anywhere, a stats read).
   */
  protected pendingBurst: ChannelClaim | null = null;
  /** The completion event's callback, bound once (a re-rate schedules one, most flow starts and ends re-rate). */
  private readonly onCompletion = (): void => this.completeDue();
  /** Flows finishing in one completion event (reused: completeDue is never re-entered, it runs only as that event). */
  private readonly finishedScratch: (Flow | null)[] = [];
  protected nextFlowId = 0;
  protected completed = 0;
  protected delivered = 0;

  constructor(
    protected readonly sim: Simulator,
    protected readonly listener: FlowNetworkListener = {},
    /** Kernel priority of the network's events among others at the same time. */
    protected readonly eventPriority = 0,
  ) {
    this.lastAdvanceS = sim.now;
  }

  /** Kernel priority of the network's events (a claimant schedules its own at it). */
  get priority(): number {
    return this.eventPriority;
  }

  addChannel(id: string, capacityBytesPerS: number): void {
    if (this.channels.has(id)) throw new Error(`Channel ${id} already exists`);
    if (!(capacityBytesPerS > 0) || !Number.isFinite(capacityBytesPerS)) {
      throw new RangeError(`Channel ${id}: capacity must be a positive finite number of bytes/s, got ${capacityBytesPerS}`);
    }
    const ch: Channel = {
      id,
      index: this.channelList.length,
      capacityBytesPerS,
      effectiveBytesPerS: capacityBytesPerS,
      bidirectionalBytesPerS: capacityBytesPerS,
      movingFlows: 0,
      loadBytesPerS: 0,
      peakLoadBytesPerS: 0,
      bytesCarried: 0,
      busyS: 0,
      utilisationIntegralS: 0,
      flowsCarried: 0,
      solo: null,
      claim: null,
      meter: null,
    };
    this.channels.set(id, ch);
    this.channelList.push(ch);
    this.capacities.push(capacityBytesPerS);
  }

  /**
   * Couples two opposite directions of one full-duplex link: while both carry moving flows, each is
   * limited to `bidirectionalBytesPerSPerDirection` (a step on the set of busy directions, so the
   * allocation needs no fixed point).
   */
  coupleDuplex(aId: string, bId: string, bidirectionalBytesPerSPerDirection: number): void {
    const a = this.channel(aId);
    const b = this.channel(bId);
    if (a === b || a.partner !== undefined || b.partner !== undefined) {
      throw new Error(`Cannot couple ${aId} and ${bId}: a channel has one partner, not itself`);
    }
    if (!(bidirectionalBytesPerSPerDirection > 0)) {
      throw new RangeError(`Duplex ${aId}/${bId}: bidirectional rate must be positive, got ${bidirectionalBytesPerSPerDirection}`);
    }
    a.partner = b;
    b.partner = a;
    a.bidirectionalBytesPerS = Math.min(a.capacityBytesPerS, bidirectionalBytesPerSPerDirection);
    b.bidirectionalBytesPerS = Math.min(b.capacityBytesPerS, bidirectionalBytesPerSPerDirection);
  }

  /** Meters of the non-binding channels, in marking order. */
  protected readonly freeMeters: FreeMeter[] = [];
  private pathsResolved = false;

  /**
   * Takes a channel out of the solve: its capacity must cover any load the callers' routes can put
   * on it (Topology.nonBindingChannels), so it never limits a rate and is only accounted
   * (flow-free.ts). Before any flow: paths resolved earlier would still hold it in their uses.
   */
  markNonBinding(id: string): void {
    const c = this.channel(id);
    if (this.pathsResolved) throw new Error(`Channel ${id}: marked non-binding after paths were resolved`);
    if (c.partner !== undefined) throw new Error(`Channel ${id}: a duplex-coupled channel cannot be non-binding`);
    if (c.meter !== null) return;
    c.meter = new FreeMeter(id, c.capacityBytesPerS, this.sim.now);
    this.freeMeters.push(c.meter);
  }

  hasChannel(id: string): boolean {
    return this.channels.has(id);
  }

  channelIds(): string[] {
    return this.channelList.map((c) => c.id);
  }

  get flowsCompleted(): number {
    return this.completed;
  }

  /** Bytes of all completed flows (cancelled flows excluded). */
  get bytesDelivered(): number {
    return this.delivered;
  }

  /**
   * Channels a path crosses, with crossing counts, in first-crossing order; cached per path array
   * (callers reuse their routes' arrays, so a transfer's thousands of flows resolve it once).
   */
  protected usesOf(path: readonly string[]): PathUses {
    const hit = this.pathUses.get(path);
    if (hit !== undefined && samePath(hit.ids, path)) return hit;
    this.pathsResolved = true;
    const weights = new Map<Channel, number>();
    for (const id of path) {
      const c = this.channel(id);
      weights.set(c, (weights.get(c) ?? 0) + 1);
    }
    const all = [...weights].map(([channel, weight]) => ({ channel, weight }));
    const uses = all.filter((u) => u.channel.meter === null);
    const freeList = all.filter((u) => u.channel.meter !== null).map((u): FreeUse => ({ meter: u.channel.meter!, weight: u.weight }));
    const free = freeList.length === 0 ? NO_FREE_USES : freeList;
    // A route with a non-binding channel always crosses another (else its bound is infinite).
    if (uses.length === 0 && free.length > 0) throw new Error(`Path ${path.join(' -> ')} crosses only non-binding channels`);
    const entry: PathUses = { ids: [...path], uses, free, shareUses: uses.map((u): ChannelUse => ({ channel: u.channel.index, weight: u.weight })), share: null };
    this.pathUses.set(path, entry);
    return entry;
  }

  private readonly pathUses = new WeakMap<readonly string[], PathUses>();

  /**
   * The fair-share view of a flow on this path with this cap, shared by every such flow (the
   * solver only reads it): one object per flow before, where a late decode reservation starts a
   * transfer's 32 staged pulls at once.
   */
  protected shareOf(p: PathUses, capBytesPerS: number): FairShareFlow {
    const s = p.share;
    if (s !== null && s.capBytesPerS === capBytesPerS) return s;
    return (p.share = { uses: p.shareUses, capBytesPerS });
  }

  protected channel(id: string): Channel {
    const c = this.channels.get(id);
    if (c === undefined) {
      const hint = didYouMean(id, [...this.channels.keys()]);
      throw new Error(`Unknown channel ${id}${hint ? ` (did you mean ${hint}?)` : ''}`);
    }
    return c;
  }

  protected finishInstantaneous(flow: Flow): void {
    flow.sent = flow.bytes;
    flow.state = 'done';
    this.completed++;
    this.delivered += flow.bytes;
    flow.onDone?.(flow);
  }

  /** Brings every moving flow's delivered bytes and every channel's integrals up to now. */
  protected advance(): void {
    if (this.pendingBurst !== null) this.pendingBurst.materialize();
    const now = this.sim.now;
    const dt = now - this.lastAdvanceS;
    if (dt <= 0) return;
    for (const f of this.moving) f.sent += f.rate * dt;
    for (const c of this.busyChannels) {
      c.bytesCarried += c.loadBytesPerS * dt;
      c.busyS += dt;
      c.utilisationIntegralS += (c.loadBytesPerS / c.capacityBytesPerS) * dt;
    }
    this.lastAdvanceS = now;
  }

  /** Removes a moving flow; a finishing flow's round-off residue is credited so bytes balance exactly. */
  protected detach(flow: Flow, state: 'done' | 'cancelled'): void {
    const residual = state === 'done' ? flow.bytes - flow.sent : 0;
    if (state === 'done') flow.sent = flow.bytes;
    flow.state = state;
    flow.rate = 0;
    this.moving.delete(flow);
    const now = this.sim.now;
    for (const { channel, weight } of flow.uses) {
      channel.bytesCarried += residual * weight;
      channel.utilisationIntegralS += (residual * weight) / channel.capacityBytesPerS;
      if (--channel.movingFlows === 0) {
        this.busyChannels.delete(channel);
        channel.loadBytesPerS = 0;
        channel.effectiveBytesPerS = channel.capacityBytesPerS;
      }
      this.listener.onSegment?.({
        channelId: channel.id,
        flowId: flow.id,
        tag: flow.tag,
        startS: flow.movingSinceS,
        endS: now,
        bytes: flow.sent * weight,
      });
    }
    for (const { meter, weight } of flow.free) {
      meter.leaveAlloc(now, flow.sent * weight);
      this.listener.onSegment?.({ channelId: meter.id, flowId: flow.id, tag: flow.tag, startS: flow.movingSinceS, endS: now, bytes: flow.sent * weight });
    }
  }

  /** Recomputes every moving flow's rate and reschedules the single next-completion event. */
  protected rerate(): void {
    this.rerateAt(this.sim.now);
  }

  /** rerate as of `now` (a burst's activation, replayed when it is settled later: flow-burst.ts). */
  protected rerateAt(now: number): void {
    for (const c of this.busyChannels) {
      const duplexBusy = c.partner !== undefined && c.partner.movingFlows > 0;
      c.effectiveBytesPerS = duplexBusy ? c.bidirectionalBytesPerS : c.capacityBytesPerS;
      this.capacities[c.index] = c.effectiveBytesPerS;
      c.loadBytesPerS = 0;
    }
    // Reused arrays: this runs on every flow start and finish.
    const flows = this.scratchFlows;
    const shares = this.scratchShares;
    let n = 0;
    for (const f of this.moving) {
      flows[n] = f;
      shares[n++] = f.share;
    }
    // Entries past n are stale and ignored (setting `length` is a slow runtime call in V8).
    const rates = this.scratchRates;
    maxMinFairRatesInto(shares, n, this.capacities, rates);
    const meters = this.freeMeters;
    for (let k = 0; k < meters.length; k++) meters[k]!.allocNext = 0;
    let nextS = Infinity;
    for (let i = 0; i < n; i++) {
      const f = flows[i]!;
      f.rate = rates[i]!;
      for (const { channel, weight } of f.uses) channel.loadBytesPerS += f.rate * weight;
      const free = f.free;
      for (let k = 0; k < free.length; k++) free[k]!.meter.allocNext += f.rate * free[k]!.weight;
      f.finishS = now + Math.max(0, f.bytes - f.sent) / f.rate;
      nextS = Math.min(nextS, f.finishS);
    }
    for (const c of this.busyChannels) {
      if (c.loadBytesPerS > c.effectiveBytesPerS * (1 + CAPACITY_TOLERANCE)) {
        throw new Error(`FlowNetwork bug: channel ${c.id} carries ${c.loadBytesPerS} B/s over its capacity ${c.effectiveBytesPerS} B/s`);
      }
      c.peakLoadBytesPerS = Math.max(c.peakLoadBytesPerS, c.loadBytesPerS);
    }
    for (let k = 0; k < meters.length; k++) meters[k]!.setAllocLoad(now, meters[k]!.allocNext);
    this.nextCompletion?.cancel();
    this.nextCompletion = Number.isFinite(nextS)
      ? this.sim.scheduleAt(Math.max(now, nextS), this.onCompletion, this.eventPriority)
      : undefined;
    this.listener.onRerate?.(now);
  }

  private completeDue(): void {
    this.nextCompletion = undefined;
    this.advance();
    const now = this.sim.now;
    const limitS = now + TIME_TOLERANCE * Math.max(1, now);
    const finished = this.finishedScratch;
    let n = 0;
    for (const f of this.moving) if (f.finishS <= limitS) finished[n++] = f;
    for (let i = 0; i < n; i++) {
      const f = finished[i]!;
      this.detach(f, 'done');
      this.completed++;
      this.delivered += f.bytes;
    }
    this.rerate();
    // Callbacks last: they may start flows, which re-rates against the state just settled.
    for (let i = 0; i < n; i++) {
      const f = finished[i]!;
      // Not kept past its callback (a reference from this long-lived array would keep it alive; `length =` is a slow runtime call).
      finished[i] = null;
      f.onDone?.(f);
    }
  }
}

/** Same channel ids in the same order (a cached path array may have been edited in place). */
function samePath(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
