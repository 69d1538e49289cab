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
 * The network is built in layers: flow-parts.ts (channel and flow records), flow-allocation.ts
 * (max-min allocation and re-rating), flow-solo.ts (solo flows in closed form), flow-episode.ts
 * (a group of two-leg flows run in one call), and this file (the public API and claims).
 *
 * Claims (a caller's chain of solo flows computed ahead, src/serving/disagg/layer-chain.ts): a caller
 * that has worked out a whole schedule of solo flows on some channels may claim them and move no
 * flow here at all; it accounts each flow afterwards (replaySolo, with the flow's own times) and
 * hands flows still in flight back as ordinary solo flows (adoptSolo). Whoever else starts or
 * activates a flow on a claimed channel, or reads its stats, first makes the claimant settle
 * ("materialize on read"), so nothing here ever sees the chain out of time order.
 */
import type { Simulator } from '../kernel/simulator.js';
import { EpisodeFlows } from './flow-episode.js';
import { chargeChannel, creditChannel } from './flow-solo.js';
import { Flow, soloFinishS, type Channel, type ChannelClaim, type SoloPlan, type SoloStride, type Use } from './flow-parts.js';
import type { ChannelStats, FlowHandle, FlowNetworkListener, FlowSpec } from './flow-types.js';

export type { ChannelClaim, SoloPlan, SoloStride } from './flow-parts.js';
/** A path's channels as soloPath resolves them (opaque to callers). */
export type SoloPath = readonly Use[];
export { soloActiveS, soloFinishS } from './flow-parts.js';
export type { FlowEpisode } from './flow-episode.js';
export type { ChannelSegment, ChannelStats, FlowHandle, FlowNetworkListener, FlowSpec, FlowState } from './flow-types.js';

export class FlowNetwork extends EpisodeFlows {
  constructor(
    sim: Simulator,
    listener: FlowNetworkListener = {},
    /** Kernel priority of the network's events among others at the same time. */
    eventPriority = 0,
    /** Closed-form solo flows (flow-solo.ts); false runs every flow through the allocation (tests compare both). */
    protected readonly soloFlows = true,
  ) {
    super(sim, listener, eventPriority);
  }

  /** Whether a listener takes timeline segments (onSegment): callers keep what only segments need otherwise. */
  get reportsSegments(): boolean {
    return this.listener.onSegment !== undefined;
  }

  /** Accounting for one channel, advanced to now. */
  channelStats(id: string): ChannelStats {
    const c = this.channel(id);
    c.claim?.materialize();
    this.advance();
    if (c.meter !== null) return this.meterStats(c);
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

  /** A non-binding channel's figures (flow-free.ts), with the bytes sent so far by flows not yet ended. */
  private meterStats(c: Channel): ChannelStats {
    const meter = c.meter!;
    let inFlight = 0;
    const add = (f: Flow): void => {
      for (const u of f.free) if (u.meter === meter) inFlight += this.sentBytesOf(f) * u.weight;
    };
    for (const f of this.moving) add(f);
    for (const f of this.solos) if (f.state === 'moving') add(f);
    const m = meter.stats(this.sim.now, inFlight);
    return { id: c.id, capacityBytesPerS: c.capacityBytesPerS, effectiveCapacityBytesPerS: c.capacityBytesPerS, ...m };
  }

  /**
   * Whether a path crosses a non-binding channel: the fast paths that account flows ahead of or
   * behind the clock (episodes, bursts, claims) refuse such paths, whose meter runs in time order.
   */
  crossesNonBinding(path: readonly string[]): boolean {
    return this.usesOf(path).free.length > 0;
  }

  get activeFlows(): number {
    for (const c of this.channelList) c.claim?.materialize();
    let solos = 0;
    for (const f of this.solos) if (f.state === 'moving') solos++;
    return this.moving.size + solos;
  }

  startFlow(spec: FlowSpec): FlowHandle {
    const latencyS = spec.latencyS ?? 0;
    const cap = spec.rateCapBytesPerS ?? Infinity;
    if (!(spec.bytes >= 0) || !Number.isFinite(spec.bytes)) throw new RangeError(`Flow bytes must be >= 0, got ${spec.bytes}`);
    if (!(latencyS >= 0)) throw new RangeError(`Flow latency must be >= 0 s, got ${latencyS}`);
    if (!(cap > 0)) throw new RangeError(`Flow rate cap must be > 0 bytes/s, got ${cap}`);
    const p = this.usesOf(spec.path);
    const uses = p.uses;
    this.settleClaims(uses);
    const flow = new Flow(this, this.nextFlowId++, spec.tag ?? '', spec.bytes, this.sim.now, uses, this.shareOf(p, cap), cap, spec.onDone);
    flow.free = p.free;
    // A flow with nothing to move, or nothing to limit it, finishes when its latency is over.
    const instantaneous = spec.bytes === 0 || (uses.length === 0 && cap === Infinity);
    if (instantaneous) {
      flow.activation = this.sim.schedule(latencyS, () => this.finishInstantaneous(flow), this.eventPriority);
    } else if (this.soloFlows && this.allIdle(uses)) {
      this.startSolo(flow, latencyS);
    } else if (latencyS > 0) {
      this.scheduleActivation(flow, latencyS);
    } else {
      this.activate(flow);
    }
    return flow;
  }

  /**
   * startFlow as it would run at `atS` (> now), entered now without an event at `atS`: for a caller
   * computing ahead of the clock (an engine running ahead, KvTiers.shards) that guarantees nothing can
   * act on the network before `atS` (atS < the kernel's horizon), so the network is at `atS` as it is now.
   * The flow's own first event is scheduled as startFlow would have at `atS`: a solo flow's end, a
   * waiting flow's activation at atS + latency, an instantaneous flow's end after its latency. Null,
   * and nothing done, where startFlow would act at `atS` itself (no latency and not solo: it enters
   * the allocation, or ends, at once) or a claim holds the path (its claimant settles at now, not at
   * `atS`): the caller then starts it at `atS` with startFlow from an event of its own.
   */
  startFlowAt(atS: number, spec: FlowSpec): FlowHandle | null {
    const latencyS = spec.latencyS ?? 0;
    const cap = spec.rateCapBytesPerS ?? Infinity;
    if (!(atS >= this.sim.now)) throw new RangeError(`Flow start ${atS} s is before now (${this.sim.now} s)`);
    if (!(spec.bytes >= 0) || !Number.isFinite(spec.bytes)) throw new RangeError(`Flow bytes must be >= 0, got ${spec.bytes}`);
    if (!(latencyS >= 0)) throw new RangeError(`Flow latency must be >= 0 s, got ${latencyS}`);
    if (!(cap > 0)) throw new RangeError(`Flow rate cap must be > 0 bytes/s, got ${cap}`);
    const p = this.usesOf(spec.path);
    const uses = p.uses;
    for (const { channel } of uses) if (channel.claim !== null || (channel.partner?.claim ?? null) !== null) return null;
    const instantaneous = spec.bytes === 0 || (uses.length === 0 && cap === Infinity);
    const solo = !instantaneous && this.soloFlows && this.allIdle(uses);
    // Its first event must fall after `atS`: at `atS` itself it would act before the caller's other work there.
    // (A solo flow ends no earlier than atS + latency: only one without latency needs its finish.)
    const firstS = solo && !(latencyS > 0) ? soloFinishS(this.soloStrideOf(uses, spec.bytes, latencyS, cap), atS) : atS + latencyS;
    if (!(firstS > atS)) return null;
    const flow = new Flow(this, this.nextFlowId++, spec.tag ?? '', spec.bytes, atS, uses, this.shareOf(p, cap), cap, spec.onDone);
    flow.free = p.free;
    if (instantaneous) {
      flow.activation = this.sim.scheduleAt(atS + latencyS, () => this.finishInstantaneous(flow), this.eventPriority);
    } else if (solo) {
      this.startSoloAt(flow, latencyS, atS);
    } else {
      this.scheduleActivation(flow, latencyS, atS);
    }
    return flow;
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
    return this.soloTiming(this.usesOf(path).uses, bytes, latencyS, capBytesPerS, startS);
  }

  /** soloPlan's start-independent part (finish = soloFinishS(stride, start)), for a chain of equal flows. */
  soloStride(path: readonly string[], bytes: number, latencyS: number, capBytesPerS: number): SoloStride {
    return this.soloStrideOf(this.usesOf(path).uses, bytes, latencyS, capBytesPerS);
  }

  /**
   * Accounts a solo flow that ran alone on a claimed path over [plan.activeS, plan.finishS], as
   * finishSolo would have at its end: channel integrals, counters and timeline segments.
   */
  replaySolo(path: readonly string[], bytes: number, tag: string, plan: SoloPlan): void {
    this.replaySoloOn(this.usesOf(path).uses, bytes, tag, plan);
  }

  /** A path's channels resolved once, for a caller that replays many flows on it (replaySoloOn). */
  soloPath(path: readonly string[]): SoloPath {
    return this.usesOf(path).uses;
  }

  /**
   * replaySolo on a path resolved by soloPath. Per channel, chargeLoad's operations then
   * creditResidue's, in one pass (a path's channels are distinct, so each sees the same order).
   */
  replaySoloOn(uses: SoloPath, bytes: number, tag: string, plan: SoloPlan): void {
    const rate = plan.rate;
    const dt = plan.finishS - plan.activeS;
    for (let k = 0; k < uses.length; k++) {
      const { channel, weight } = uses[k]!;
      chargeChannel(channel, rate * weight, dt);
      creditChannel(channel, (bytes - rate * dt) * weight);
    }
    this.completed++;
    this.delivered += bytes;
    const id = this.nextFlowId++;
    const onSegment = this.listener.onSegment;
    if (onSegment !== undefined) {
      for (const { channel, weight } of uses) onSegment.call(this.listener, { channelId: channel.id, flowId: id, tag, startS: plan.activeS, endS: plan.finishS, bytes: bytes * weight });
    }
  }

  /**
   * A flow of a claimed path started alone at `startS` (<= now) and not yet done, handed to the
   * network as the solo flow startFlow would have made then (the caller has released its claim).
   */
  adoptSolo(spec: FlowSpec, startS: number): FlowHandle {
    const p = this.usesOf(spec.path);
    const cap = spec.rateCapBytesPerS ?? Infinity;
    const flow = new Flow(this, this.nextFlowId++, spec.tag ?? '', spec.bytes, startS, p.uses, this.shareOf(p, cap), cap, spec.onDone);
    flow.free = p.free;
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
}
