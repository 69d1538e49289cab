/**
 * Links as shared resources. Every transfer is a flow over a path of directed channels (one direction
 * of a PCIe link, an NVLink port, a NIC side, host DRAM, a disk). Moving flows share channels max-min
 * fairly, and the allocation is recomputed only when the set of moving flows changes (a flow starts
 * moving or ends): between those instants every rate is constant, so one event, the next completion,
 * is all the kernel needs to hold. See DESIGN.md section 2, layer 2.
 *
 * A flow first waits its path latency, then moves bytes. Full-duplex links are two channels; a duplex
 * coupling lowers both directions to the measured bidirectional rate while both carry flows
 * (reference/hardware.md Table 2: Gen4 11-16 GB/s per direction when both are busy, vs ~25 one way).
 *
 * Solo flows (the common case of layer-wise KV chunks: each one alone on its links): a flow that
 * starts while every channel it crosses, and every duplex partner of those, is idle is not put in
 * the shared allocation at all. Alone, its rate is constant (the same min over capacities / crossings
 * and its cap that progressive filling gives one flow), so its arrival is start + latency +
 * bytes / rate in closed form: one event instead of an activation, a completion and two re-rates,
 * and its channel integrals are added in closed form when it ends. The moment another flow starts
 * moving on one of those channels (or their partners), the solo flow is "materialized" exactly: its
 * bytes sent so far are rate x elapsed, and from then on it is an ordinary flow of the allocation.
 *
 * Claims (a caller's chain of solo flows computed ahead, src/serving/disagg/layer-chain.ts): a caller
 * that has worked out a whole schedule of solo flows on some channels may claim them and move no
 * flow here at all; it accounts each flow afterwards (replaySolo, with the flow's own times) and
 * hands flows still in flight back as ordinary solo flows (adoptSolo). Whoever else starts or
 * activates a flow on a claimed channel, or reads its stats, first makes the claimant settle
 * ("materialize on read"), so nothing here ever sees the chain out of time order.
 */
import type { EventHandle, Simulator } from '../kernel/simulator.js';
import { didYouMean } from '../errors.js';
import { maxMinFairRatesInto, type ChannelUse, type FairShareFlow } from './max-min.js';
import type { ChannelStats, FlowHandle, FlowNetworkListener, FlowSpec, FlowState } from './flow-types.js';

/** A caller holding channels for flows it accounts itself (module note); `materialize` hands them back. */
export interface ChannelClaim {
  materialize(): void;
}

/** A solo flow's closed-form timing: moving from activeS at rate, done at finishS. */
export interface SoloPlan {
  rate: number;
  activeS: number;
  finishS: number;
}

export type { ChannelSegment, ChannelStats, FlowHandle, FlowNetworkListener, FlowSpec, FlowState } from './flow-types.js';

interface Channel {
  id: string;
  index: number;
  capacityBytesPerS: number;
  effectiveBytesPerS: number;
  partner?: Channel;
  bidirectionalBytesPerS: number;
  movingFlows: number;
  loadBytesPerS: number;
  peakLoadBytesPerS: number;
  bytesCarried: number;
  busyS: number;
  utilisationIntegralS: number;
  flowsCarried: number;
  /** A solo flow (see the module note) crossing this channel, or null. */
  solo: Flow | null;
  /** The claimant of this channel (module note), or null. */
  claim: ChannelClaim | null;
}

interface Use {
  channel: Channel;
  weight: number;
}

/** Relative slack for "finishes now" and for the capacity guard (float round-off, not physics). */
const TIME_TOLERANCE = 1e-12;
const CAPACITY_TOLERANCE = 1e-9;

class Flow implements FlowHandle {
  private st: FlowState = 'waiting';
  /** Solo flow (module note): moving from soloActiveS at `rate` until finishS, outside the allocation. */
  solo = false;
  soloActiveS = 0;
  sent = 0;
  rate = 0;
  movingSinceS = 0;
  finishS = Infinity;
  activation?: EventHandle;
  /** The flow as the fair-share solver sees it, built once. */
  readonly share: FairShareFlow;
  constructor(
    private readonly net: FlowNetwork,
    readonly id: number,
    readonly tag: string,
    readonly bytes: number,
    readonly startS: number,
    readonly uses: readonly Use[],
    shareUses: readonly ChannelUse[],
    readonly capBytesPerS: number,
    readonly onDone: ((flow: FlowHandle) => void) | undefined,
  ) {
    this.share = { uses: shareUses, capBytesPerS };
  }
  get state(): FlowState {
    return this.solo ? this.net.soloState(this) : this.st;
  }
  set state(s: FlowState) {
    this.st = s;
  }
  sentBytes(): number {
    return this.net.sentBytesOf(this);
  }
  rateBytesPerS(): number {
    return this.state === 'moving' ? this.rate : 0;
  }
  cancel(): void {
    this.net.cancelFlow(this);
  }
}

export class FlowNetwork {
  private readonly channels = new Map<string, Channel>();
  private readonly channelList: Channel[] = [];
  private readonly capacities: number[] = [];
  /** Moving flows in start order, so simultaneous finishes are reported deterministically. */
  private readonly moving = new Set<Flow>();
  private readonly busyChannels = new Set<Channel>();
  private lastAdvanceS = 0;
  private readonly scratchFlows: Flow[] = [];
  private readonly scratchShares: FairShareFlow[] = [];
  private readonly scratchRates: number[] = [];
  private nextCompletion?: EventHandle;
  private nextFlowId = 0;
  private completed = 0;
  private delivered = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly listener: FlowNetworkListener = {},
    /** Kernel priority of the network's events among others at the same time. */
    private readonly eventPriority = 0,
    /** Closed-form solo flows (module note); false runs every flow through the allocation (tests compare both). */
    private readonly soloFlows = true,
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

  hasChannel(id: string): boolean {
    return this.channels.has(id);
  }

  channelIds(): string[] {
    return this.channelList.map((c) => c.id);
  }

  /** Accounting for one channel, advanced to now. */
  channelStats(id: string): ChannelStats {
    const c = this.channel(id);
    c.claim?.materialize();
    this.advance();
    const stats: ChannelStats = {
      id: c.id,
      capacityBytesPerS: c.capacityBytesPerS,
      effectiveCapacityBytesPerS: c.effectiveBytesPerS,
      loadBytesPerS: c.loadBytesPerS,
      peakLoadBytesPerS: c.peakLoadBytesPerS,
      bytesCarried: c.bytesCarried,
      busyS: c.busyS,
      utilisationIntegralS: c.utilisationIntegralS,
      flowsCarried: c.flowsCarried,
    };
    // A solo flow's part so far, read without disturbing it (it is accounted in full when it ends).
    const f = c.solo;
    const now = this.sim.now;
    if (f !== null && now >= f.soloActiveS) {
      const load = f.rate * this.weightOn(f, c);
      const dt = Math.min(now, f.finishS) - f.soloActiveS;
      if (now < f.finishS) stats.loadBytesPerS = load;
      stats.peakLoadBytesPerS = Math.max(stats.peakLoadBytesPerS, load);
      stats.bytesCarried += load * dt;
      stats.busyS += dt;
      stats.utilisationIntegralS += (load / c.capacityBytesPerS) * dt;
      stats.flowsCarried++;
    }
    return stats;
  }

  get activeFlows(): number {
    for (const c of this.channelList) c.claim?.materialize();
    let solos = 0;
    for (const f of this.solos) if (f.state === 'moving') solos++;
    return this.moving.size + solos;
  }

  get flowsCompleted(): number {
    return this.completed;
  }

  /** Bytes of all completed flows (cancelled flows excluded). */
  get bytesDelivered(): number {
    return this.delivered;
  }

  startFlow(spec: FlowSpec): FlowHandle {
    const latencyS = spec.latencyS ?? 0;
    const cap = spec.rateCapBytesPerS ?? Infinity;
    if (!(spec.bytes >= 0) || !Number.isFinite(spec.bytes)) throw new RangeError(`Flow bytes must be >= 0, got ${spec.bytes}`);
    if (!(latencyS >= 0)) throw new RangeError(`Flow latency must be >= 0 s, got ${latencyS}`);
    if (!(cap > 0)) throw new RangeError(`Flow rate cap must be > 0 bytes/s, got ${cap}`);
    const { uses, shareUses } = this.usesOf(spec.path);
    this.settleClaims(uses);
    const flow = new Flow(this, this.nextFlowId++, spec.tag ?? '', spec.bytes, this.sim.now, uses, shareUses, cap, spec.onDone);
    // A flow with nothing to move, or nothing to limit it, finishes when its latency is over.
    const instantaneous = spec.bytes === 0 || (uses.length === 0 && cap === Infinity);
    if (instantaneous) {
      flow.activation = this.sim.schedule(latencyS, () => this.finishInstantaneous(flow), this.eventPriority);
    } else if (this.soloFlows && this.allIdle(uses)) {
      this.startSolo(flow, latencyS);
    } else if (latencyS > 0) {
      flow.activation = this.sim.schedule(latencyS, () => this.activate(flow), this.eventPriority);
    } else {
      this.activate(flow);
    }
    return flow;
  }

  /** Claimants of these channels or their duplex partners settle first (module note). */
  private settleClaims(uses: readonly Use[]): void {
    for (const { channel } of uses) {
      channel.claim?.materialize();
      channel.partner?.claim?.materialize();
    }
  }

  /** The channels of a path and their duplex partners, each once (what a claim must hold). */
  claimableChannels(path: readonly string[]): string[] {
    const out = new Set<string>();
    for (const { channel } of this.usesOf(path).uses) {
      out.add(channel.id);
      if (channel.partner !== undefined) out.add(channel.partner.id);
    }
    return [...out];
  }

  /** True when nothing moves, waits as solo, or is claimed on these channels (claimableChannels ids). */
  idleUnclaimed(ids: readonly string[], except: ChannelClaim | null = null): boolean {
    for (const id of ids) {
      const c = this.channel(id);
      if (c.movingFlows > 0 || c.solo !== null || (c.claim !== null && c.claim !== except)) return false;
    }
    return true;
  }

  /** Sets (or, with null, clears where `claim` holds them) the claimant of these channels. */
  setClaim(ids: readonly string[], claim: ChannelClaim | null, holder: ChannelClaim | null = null): void {
    for (const id of ids) {
      const c = this.channel(id);
      if (claim !== null || c.claim === holder) c.claim = claim;
    }
  }

  /** The timing startSolo would give a flow alone on `path` started at `startS` (same operations). */
  soloPlan(path: readonly string[], bytes: number, latencyS: number, capBytesPerS: number, startS: number): SoloPlan {
    let rate = capBytesPerS;
    for (const { channel, weight } of this.usesOf(path).uses) rate = Math.min(rate, channel.capacityBytesPerS / weight);
    const activeS = startS + latencyS;
    return { rate, activeS, finishS: activeS + Math.max(0, bytes - 0) / rate };
  }

  /**
   * Accounts a solo flow that ran alone on a claimed path over [plan.activeS, plan.finishS], as
   * finishSolo would have at its end: channel integrals, counters and timeline segments.
   */
  replaySolo(path: readonly string[], bytes: number, tag: string, plan: SoloPlan): void {
    const { uses } = this.usesOf(path);
    const dt = plan.finishS - plan.activeS;
    for (const { channel, weight } of uses) {
      const load = plan.rate * weight;
      channel.flowsCarried++;
      channel.peakLoadBytesPerS = Math.max(channel.peakLoadBytesPerS, load);
      channel.bytesCarried += load * dt;
      channel.busyS += dt;
      channel.utilisationIntegralS += (load / channel.capacityBytesPerS) * dt;
    }
    for (const { channel, weight } of uses) {
      const residual = (bytes - plan.rate * dt) * weight;
      channel.bytesCarried += residual;
      channel.utilisationIntegralS += residual / channel.capacityBytesPerS;
    }
    this.completed++;
    this.delivered += bytes;
    const id = this.nextFlowId++;
    for (const { channel, weight } of uses) this.listener.onSegment?.({ channelId: channel.id, flowId: id, tag, startS: plan.activeS, endS: plan.finishS, bytes: bytes * weight });
  }

  /**
   * A flow of a claimed path started alone at `startS` (<= now) and not yet done, handed to the
   * network as the solo flow startFlow would have made then (the caller has released its claim).
   */
  adoptSolo(spec: FlowSpec, startS: number): FlowHandle {
    const { uses, shareUses } = this.usesOf(spec.path);
    const flow = new Flow(this, this.nextFlowId++, spec.tag ?? '', spec.bytes, startS, uses, shareUses, spec.rateCapBytesPerS ?? Infinity, spec.onDone);
    this.startSoloAt(flow, spec.latencyS ?? 0, startS);
    return flow;
  }

  /** @internal Bytes a flow has delivered up to now. */
  sentBytesOf(flow: Flow): number {
    if (flow.solo) return flow.state === 'moving' ? Math.min(flow.bytes, flow.rate * (this.sim.now - flow.soloActiveS)) : flow.sent;
    if (flow.state !== 'moving') return flow.sent;
    return Math.min(flow.bytes, flow.sent + flow.rate * (this.sim.now - this.lastAdvanceS));
  }

  /** @internal */
  cancelFlow(flow: Flow): void {
    if (flow.solo) this.materialize(flow);
    if (flow.state === 'waiting') {
      flow.activation?.cancel();
      flow.state = 'cancelled';
    } else if (flow.state === 'moving') {
      this.advance();
      this.detach(flow, 'cancelled');
      this.rerate();
    }
  }

  /**
   * Channels a path crosses, with crossing counts, in first-crossing order; cached per path array
   * (callers reuse their routes' arrays, so a transfer's thousands of flows resolve it once).
   */
  private usesOf(path: readonly string[]): { uses: readonly Use[]; shareUses: readonly ChannelUse[] } {
    const hit = this.pathUses.get(path);
    if (hit !== undefined && hit.ids.length === path.length && hit.ids.every((id, i) => id === path[i])) return hit;
    const weights = new Map<Channel, number>();
    for (const id of path) {
      const c = this.channel(id);
      weights.set(c, (weights.get(c) ?? 0) + 1);
    }
    const uses = [...weights].map(([channel, weight]) => ({ channel, weight }));
    const entry = { ids: [...path], uses, shareUses: uses.map((u): ChannelUse => ({ channel: u.channel.index, weight: u.weight })) };
    this.pathUses.set(path, entry);
    return entry;
  }

  private readonly pathUses = new WeakMap<readonly string[], { ids: readonly string[]; uses: readonly Use[]; shareUses: readonly ChannelUse[] }>();

  private channel(id: string): Channel {
    const c = this.channels.get(id);
    if (c === undefined) {
      const hint = didYouMean(id, [...this.channels.keys()]);
      throw new Error(`Unknown channel ${id}${hint ? ` (did you mean ${hint}?)` : ''}`);
    }
    return c;
  }

  private activate(flow: Flow): void {
    this.settleClaims(flow.uses);
    this.advance();
    for (const { channel } of flow.uses) {
      if (channel.solo !== null) this.materialize(channel.solo);
      const p = channel.partner;
      if (p !== undefined && p.solo !== null) this.materialize(p.solo);
    }
    flow.state = 'moving';
    flow.movingSinceS = this.sim.now;
    this.moving.add(flow);
    for (const { channel } of flow.uses) {
      if (channel.movingFlows++ === 0) this.busyChannels.add(channel);
      channel.flowsCarried++;
    }
    this.rerate();
  }

  /** Solo flows not yet ended, in start order. */
  private readonly solos = new Set<Flow>();

  /** Every channel of `uses`, and every duplex partner of those, carries nothing and no solo flow. */
  private allIdle(uses: readonly Use[]): boolean {
    for (const { channel } of uses) {
      if (channel.movingFlows > 0 || channel.solo !== null) return false;
      const p = channel.partner;
      if (p !== undefined && (p.movingFlows > 0 || p.solo !== null)) return false;
    }
    return uses.length > 0;
  }

  private weightOn(flow: Flow, c: Channel): number {
    for (const u of flow.uses) if (u.channel === c) return u.weight;
    return 0;
  }

  private startSolo(flow: Flow, latencyS: number): void {
    this.startSoloAt(flow, latencyS, this.sim.now);
  }

  private startSoloAt(flow: Flow, latencyS: number, startS: number): void {
    // The rate progressive filling gives one flow alone: min of its cap and capacity / crossings.
    let rate = flow.capBytesPerS;
    for (const { channel, weight } of flow.uses) rate = Math.min(rate, channel.capacityBytesPerS / weight);
    flow.solo = true;
    flow.rate = rate;
    // The same operations as the allocation path: activation at now + latency, then now + bytes / rate.
    const activeS = startS + latencyS;
    flow.soloActiveS = activeS;
    flow.movingSinceS = activeS;
    flow.finishS = activeS + Math.max(0, flow.bytes - 0) / rate;
    for (const { channel } of flow.uses) channel.solo = flow;
    this.solos.add(flow);
    flow.activation = this.sim.scheduleAt(flow.finishS, () => this.finishSolo(flow), this.eventPriority);
  }

  /** @internal A solo flow's state, from the clock. */
  soloState(flow: Flow): FlowState {
    return this.sim.now < flow.soloActiveS ? 'waiting' : 'moving';
  }

  /** Adds a solo flow's channel integrals over [its activation, untilS] (it was alone: constant load). */
  private accountSolo(flow: Flow, untilS: number): void {
    const dt = untilS - flow.soloActiveS;
    for (const { channel, weight } of flow.uses) {
      channel.solo = null;
      if (dt < 0) continue;
      const load = flow.rate * weight;
      channel.flowsCarried++;
      channel.peakLoadBytesPerS = Math.max(channel.peakLoadBytesPerS, load);
      channel.bytesCarried += load * dt;
      channel.busyS += dt;
      channel.utilisationIntegralS += (load / channel.capacityBytesPerS) * dt;
    }
    this.solos.delete(flow);
    flow.solo = false;
  }

  private finishSolo(flow: Flow): void {
    const now = this.sim.now;
    // Bytes balance exactly, as detach() credits a finishing flow's round-off residue.
    const carriedS = now - flow.soloActiveS;
    this.accountSolo(flow, now);
    for (const { channel, weight } of flow.uses) {
      const residual = (flow.bytes - flow.rate * carriedS) * weight;
      channel.bytesCarried += residual;
      channel.utilisationIntegralS += residual / channel.capacityBytesPerS;
    }
    flow.sent = flow.bytes;
    flow.state = 'done';
    flow.rate = 0;
    this.completed++;
    this.delivered += flow.bytes;
    for (const { channel, weight } of flow.uses) {
      this.listener.onSegment?.({ channelId: channel.id, flowId: flow.id, tag: flow.tag, startS: flow.soloActiveS, endS: now, bytes: flow.bytes * weight });
    }
    flow.onDone?.(flow);
  }

  /**
   * Turns a solo flow into an ordinary one at now, exactly: still in its latency, it waits for
   * its activation; moving, it has sent rate x elapsed and joins the allocation (the caller re-rates).
   */
  private materialize(flow: Flow): void {
    const now = this.sim.now;
    flow.activation?.cancel();
    const activeS = flow.soloActiveS;
    this.accountSolo(flow, now);
    if (now < activeS) {
      flow.state = 'waiting';
      flow.rate = 0;
      flow.activation = this.sim.scheduleAt(activeS, () => this.activate(flow), this.eventPriority);
      return;
    }
    this.advance();
    flow.sent = Math.min(flow.bytes, flow.rate * (now - activeS));
    flow.state = 'moving';
    flow.movingSinceS = activeS;
    this.moving.add(flow);
    // Counted as carried by accountSolo already (the allocation path counts a flow once, at activation).
    for (const { channel } of flow.uses) if (channel.movingFlows++ === 0) this.busyChannels.add(channel);
  }

  private finishInstantaneous(flow: Flow): void {
    flow.sent = flow.bytes;
    flow.state = 'done';
    this.completed++;
    this.delivered += flow.bytes;
    flow.onDone?.(flow);
  }

  /** Brings every moving flow's delivered bytes and every channel's integrals up to now. */
  private advance(): void {
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
  private detach(flow: Flow, state: 'done' | 'cancelled'): void {
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
  }

  /** Recomputes every moving flow's rate and reschedules the single next-completion event. */
  private rerate(): void {
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
    const now = this.sim.now;
    let nextS = Infinity;
    for (let i = 0; i < n; i++) {
      const f = flows[i]!;
      f.rate = rates[i]!;
      for (const { channel, weight } of f.uses) channel.loadBytesPerS += f.rate * weight;
      f.finishS = now + Math.max(0, f.bytes - f.sent) / f.rate;
      nextS = Math.min(nextS, f.finishS);
    }
    for (const c of this.busyChannels) {
      if (c.loadBytesPerS > c.effectiveBytesPerS * (1 + CAPACITY_TOLERANCE)) {
        throw new Error(`FlowNetwork bug: channel ${c.id} carries ${c.loadBytesPerS} B/s over its capacity ${c.effectiveBytesPerS} B/s`);
      }
      c.peakLoadBytesPerS = Math.max(c.peakLoadBytesPerS, c.loadBytesPerS);
    }
    this.nextCompletion?.cancel();
    this.nextCompletion = Number.isFinite(nextS)
      ? this.sim.scheduleAt(Math.max(now, nextS), () => this.completeDue(), this.eventPriority)
      : undefined;
    this.listener.onRerate?.(now);
  }

  private completeDue(): void {
    this.nextCompletion = undefined;
    this.advance();
    const now = this.sim.now;
    const limitS = now + TIME_TOLERANCE * Math.max(1, now);
    const finished: Flow[] = [];
    for (const f of this.moving) if (f.finishS <= limitS) finished.push(f);
    for (const f of finished) {
      this.detach(f, 'done');
      this.completed++;
      this.delivered += f.bytes;
    }
    this.rerate();
    // Callbacks last: they may start flows, which re-rates against the state just settled.
    for (const f of finished) f.onDone?.(f);
  }
}
