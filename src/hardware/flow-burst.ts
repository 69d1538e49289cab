/**
 * A burst of equal flows started together on one idle path while nothing moves in the allocation
 * (a transfer's staged chunks pulled at once when its decode reservation comes late: 32 pulls of
 * one layer's bytes each). Started one by one, the first is solo and the others share one
 * activation event (flow-solo.ts); at the activation the solo one is materialized, all enter and
 * one re-rate gives every flow the same rate, so all finish at one instant T in one completion
 * event. That outcome is known at the start, so the burst holds one event, at T, and no Flow at
 * all: it claims its channels (and their duplex partners) and the allocation (pendingBurst), and
 * at T it makes the flows as the activation left them and runs the allocation's own completion
 * (completeDue), callbacks included, in start order.
 *
 * Exactness: whoever touches its channels or advances the allocation first (a flow entering
 * anywhere, a stats read, an episode after the activation) makes it settle: the flows are made as
 * step-by-step simulation holds them then (before the activation: the solo flow and the waiting
 * ones with their activation event; after: moving, re-rated as of the activation, with their
 * completion event), and from then on the network runs them as ordinary flows. An episode
 * (flow-episode.ts) before the activation is bounded by it, as its event would bound it.
 * flow-burst-claim.test.ts compares it with the flows started one by one, settled at every phase.
 */
import type { EventHandle } from '../kernel/simulator.js';
import { SoloFlows } from './flow-solo.js';
import { CAPACITY_TOLERANCE, TIME_TOLERANCE, Flow, soloActiveS, soloFinishS, type ChannelClaim, type FlowOwner, type Use } from './flow-parts.js';
import type { FlowSpec } from './flow-types.js';
import type { FairShareFlow } from './max-min.js';

/** The flows of one startBurst call (a burst started in the same event on the same path joins the first). */
interface Group {
  bytes: number;
  n: number;
  firstId: number;
  tag: string;
  onDone: (k: number) => void;
}

/** One burst accounted ahead (at most one at a time). */
interface Burst extends ChannelClaim {
  uses: readonly Use[];
  share: FairShareFlow;
  claimed: readonly Use[];
  groups: Group[];
  /** Flows of all its groups. */
  n: number;
  latencyS: number;
  cap: number;
  startS: number;
  /** The shared activation (start + latency), and the first finish (every flow of the group with the fewest bytes). */
  activeS: number;
  endS: number;
  event: EventHandle;
  /** The kernel's scheduled count right after the burst was made (nothing scheduled since: its activation may still be joined). */
  countAfter: number;
}

/** Bursts held (and joined), and those settled before their end (before / after the activation), process-wide (tests check each path ran). */
export const burstCounts = { held: 0, joined: 0, settledEarly: 0, settledActive: 0 };

export abstract class BurstFlows extends SoloFlows {
  /** Closed-form solo flows on (a burst's first flow is one, and an episode repeats what they do). */
  protected abstract readonly soloFlows: boolean;
  private burstHeld: Burst | null = null;

  /** The activation time of a burst held now, or NaN (an episode must end before it). */
  protected get burstActivationS(): number {
    return this.burstHeld === null ? NaN : this.burstHeld.activeS;
  }

  /**
   * Starts `n` flows of `spec` (its onDone ignored) as n startFlow calls in a row would, calling
   * `onDone(k)` for the k-th at its end. False, and nothing done, where it cannot be held as one
   * burst (the caller then starts them one by one); the caller settles claims on the path first.
   */
  startBurst(spec: FlowSpec, n: number, onDone: (k: number) => void): boolean {
    const latencyS = spec.latencyS ?? 0;
    const cap = spec.rateCapBytesPerS ?? Infinity;
    const bytes = spec.bytes;
    if (!this.soloFlows || !(n >= 2) || !(latencyS > 0) || !(bytes > 0) || !Number.isFinite(bytes) || !(cap > 0)) return false;
    const held = this.burstHeld;
    if (held !== null) return this.joinBurst(held, spec, n, onDone);
    if (this.moving.size > 0 || this.busyChannels.size > 0) return false;
    if (this.listener.onSegment !== undefined || this.listener.onRerate !== undefined) return false;
    const p = this.usesOf(spec.path);
    // A non-binding channel's meter runs in time order; a burst accounts its flows when settled, later.
    if (p.free.length > 0) return false;
    const uses = p.uses;
    this.settleClaims(uses);
    // settleClaims may have started flows: checked after it.
    if (this.moving.size > 0 || this.busyChannels.size > 0 || !this.allIdle(uses)) return false;
    for (const { channel } of uses) if (channel.claim !== null || (channel.partner?.claim ?? null) !== null) return false;
    const now = this.sim.now;
    // scheduleActivation's and the solo flow's activation (the same sum).
    const activeS = now + latencyS;
    const endS = burstEndS(uses, cap, activeS, n, bytes, Infinity);
    if (!(endS > activeS) || !Number.isFinite(endS)) return false;
    const claimed: Use[] = [];
    for (const u of uses) {
      claimed.push(u);
      if (u.channel.partner !== undefined) claimed.push({ channel: u.channel.partner, weight: 0 });
    }
    const firstId = this.nextFlowId;
    this.nextFlowId += n;
    const b: Burst = {
      uses, share: this.shareOf(p, cap), claimed, groups: [{ bytes, n, firstId, tag: spec.tag ?? '', onDone }], n, latencyS, cap, startS: now, activeS, endS,
      event: this.sim.scheduleAt(endS, () => this.endBurst(b), this.eventPriority),
      countAfter: 0,
      materialize: () => this.settleBurst(b),
    };
    b.countAfter = this.sim.scheduledCount;
    for (const { channel } of claimed) channel.claim = b;
    this.burstHeld = b;
    this.pendingBurst = b;
    burstCounts.held++;
    return true;
  }

  /**
   * Flows started on a held burst's path in its very event with nothing scheduled since: one by one
   * they would join its activation event (scheduleActivation), so they join the burst as a group;
   * its end is then the first group's to finish (the rest end in ordinary completion events).
   * Otherwise false (the caller then starts them one by one, and the first settles the burst).
   */
  private joinBurst(b: Burst, spec: FlowSpec, n: number, onDone: (k: number) => void): boolean {
    const p = this.usesOf(spec.path);
    const cap = spec.rateCapBytesPerS ?? Infinity;
    const joins = p.uses === b.uses && spec.latencyS === b.latencyS && cap === b.cap && this.sim.now === b.startS && this.sim.scheduledCount === b.countAfter;
    if (!joins) return false;
    const all = b.n + n;
    let endS = Infinity;
    for (const g of b.groups) endS = burstEndS(b.uses, cap, b.activeS, all, g.bytes, endS);
    endS = burstEndS(b.uses, cap, b.activeS, all, spec.bytes, endS);
    if (!(endS > b.activeS) || !Number.isFinite(endS)) return false;
    b.groups.push({ bytes: spec.bytes, n, firstId: this.nextFlowId, tag: spec.tag ?? '', onDone });
    this.nextFlowId += n;
    b.n = all;
    b.endS = endS;
    b.event.cancel();
    b.event = this.sim.scheduleAt(endS, () => this.endBurst(b), this.eventPriority);
    b.countAfter = this.sim.scheduledCount;
    burstCounts.joined++;
    return true;
  }

  /** At its end: the flows as the activation left them, then the allocation's completion at now. */
  private endBurst(b: Burst): void {
    if (this.burstHeld === b) this.endHeld(b);
  }

  /**
   * The end of a burst never touched: what settleBurst and completeDue do, on the channels, with
   * Flow objects only for the groups that do not finish now (every flow has one rate, so a group's
   * flows have one finish and one residue). The activation at activeS (the solo flow's accountSolo,
   * the entries, the re-rate's loads and peaks), then the completion at now (advance, detach of the
   * finished flows in start order, the re-rate of the rest), then the callbacks in start order.
   */
  private endHeld(b: Burst): void {
    this.burstHeld = null;
    this.pendingBurst = null;
    for (const { channel } of b.claimed) if (channel.claim === b) channel.claim = null;
    const { uses, activeS, groups } = b;
    const n = b.n;
    const g1 = groups[0]!;
    const stride = this.soloStrideOf(uses, g1.bytes, b.latencyS, b.cap);
    const f1ActiveS = soloActiveS(stride, b.startS);
    if (activeS - this.lastAdvanceS > 0) this.lastAdvanceS = activeS;
    const dt1 = activeS - f1ActiveS;
    if (dt1 >= 0) this.chargeLoad(uses, stride.rate, dt1);
    // The first flow's sent after its materialization (0); the others start at 0.
    let sent = Math.min(g1.bytes, stride.rate * (activeS - f1ActiveS));
    // rerateAt(activeS): the level maxMinFairRatesInto gives n flows of one shape, each channel's load
    // summed flow by flow (its partner idle: its effective capacity is its own).
    let level = b.cap;
    for (const { channel, weight } of uses) {
      let w = 0;
      for (let k = 0; k < n; k++) w += weight;
      level = Math.min(level, channel.capacityBytesPerS / w);
    }
    for (const { channel, weight } of uses) {
      channel.flowsCarried += n - 1;
      channel.effectiveBytesPerS = channel.capacityBytesPerS;
      let load = 0;
      for (let k = 0; k < n; k++) load += level * weight;
      if (load > channel.effectiveBytesPerS * (1 + CAPACITY_TOLERANCE)) {
        throw new Error(`FlowNetwork bug: channel ${channel.id} carries ${load} B/s over its capacity ${channel.effectiveBytesPerS} B/s`);
      }
      channel.loadBytesPerS = load;
      channel.peakLoadBytesPerS = Math.max(channel.peakLoadBytesPerS, load);
    }
    // completeDue at now: advance, then the flows finishing now detached in start order.
    const now = this.sim.now;
    const dt = now - this.lastAdvanceS;
    if (dt > 0) {
      sent += level * dt;
      for (const { channel } of uses) {
        channel.bytesCarried += channel.loadBytesPerS * dt;
        channel.busyS += dt;
        channel.utilisationIntegralS += (channel.loadBytesPerS / channel.capacityBytesPerS) * dt;
      }
      this.lastAdvanceS = now;
    }
    const limitS = now + TIME_TOLERANCE * Math.max(1, now);
    let left = 0;
    const done: boolean[] = [];
    for (const g of groups) {
      const finishS = activeS + Math.max(0, g.bytes - 0) / level;
      const ends = finishS <= limitS;
      done.push(ends);
      if (!ends) {
        left += g.n;
        continue;
      }
      const residual = g.bytes - sent;
      for (let k = 0; k < g.n; k++) {
        for (const { channel, weight } of uses) {
          channel.bytesCarried += residual * weight;
          channel.utilisationIntegralS += (residual * weight) / channel.capacityBytesPerS;
        }
        this.completed++;
        this.delivered += g.bytes;
      }
    }
    if (left === 0) {
      for (const { channel } of uses) {
        channel.loadBytesPerS = 0;
        channel.effectiveBytesPerS = channel.capacityBytesPerS;
      }
    } else {
      // The groups still moving, as the allocation holds them (the re-rate below gives their new rates).
      for (let i = 0; i < groups.length; i++) {
        if (done[i]) continue;
        const g = groups[i]!;
        for (let k = 0; k < g.n; k++) {
          const f = new Flow(this as unknown as FlowOwner, g.firstId + k, g.tag, g.bytes, b.startS, uses, b.share, b.cap, () => g.onDone(k));
          f.state = 'moving';
          f.movingSinceS = i === 0 && k === 0 ? f1ActiveS : activeS;
          f.sent = sent;
          f.rate = level;
          f.finishS = activeS + Math.max(0, g.bytes - 0) / level;
          this.moving.add(f);
        }
      }
      for (const { channel } of uses) {
        if (channel.movingFlows === 0) this.busyChannels.add(channel);
        channel.movingFlows += left;
      }
    }
    this.rerate();
    for (let i = 0; i < groups.length; i++) {
      if (!done[i]) continue;
      const g = groups[i]!;
      for (let k = 0; k < g.n; k++) g.onDone(k);
    }
  }

  /**
   * Makes the burst's flows as step-by-step simulation holds them now, with the events they hold
   * then, and releases its claims (someone touched its path or the allocation before its end).
   */
  private settleBurst(b: Burst): void {
    if (this.burstHeld !== b) return;
    this.burstHeld = null;
    this.pendingBurst = null;
    for (const { channel } of b.claimed) if (channel.claim === b) channel.claim = null;
    const now = this.sim.now;
    b.event.cancel();
    const joinable = this.sim.scheduledCount === b.countAfter;
    const flows: Flow[] = [];
    for (const g of b.groups) {
      for (let k = 0; k < g.n; k++) {
        // The network (FlowNetwork, the concrete class) is every flow's owner.
        const flow = new Flow(this as unknown as FlowOwner, g.firstId + k, g.tag, g.bytes, b.startS, b.uses, b.share, b.cap, () => g.onDone(k));
        flows.push(flow);
      }
    }
    const f1 = flows[0]!;
    const stride = this.soloStrideOf(b.uses, f1.bytes, b.latencyS, b.cap);
    const f1ActiveS = soloActiveS(stride, b.startS);
    if (now < b.activeS) burstCounts.settledEarly++;
    else burstCounts.settledActive++;
    if (now < b.activeS) {
      // Before the activation: startSoloAt for the first, one shared activation event for the rest.
      f1.solo = true;
      f1.rate = stride.rate;
      f1.soloActiveS = f1ActiveS;
      f1.movingSinceS = f1ActiveS;
      f1.finishS = soloFinishS(stride, b.startS);
      for (const { channel } of b.uses) channel.solo = f1;
      this.solos.add(f1);
      f1.activation = this.sim.scheduleAt(f1.finishS, () => this.finishSolo(f1), this.eventPriority);
      const rest = flows.slice(1);
      const ev = this.sim.scheduleAt(b.activeS, () => this.activateBurst(rest), this.eventPriority);
      // A flow of a shared event is cancelled by its state alone; the first holds it while alone.
      if (rest.length === 1) rest[0]!.activation = ev;
      // Nothing scheduled since the burst began: a flow started now on its path still joins it.
      if (joinable) this.burst = { atS: b.activeS, seq: this.sim.scheduledCount, uses: b.uses, flows: rest };
      return;
    }
    // The activation as activateBurst ran it at activeS: the advance (nothing else moving), the solo
    // flow materialized by the first entry (accountSolo, then moving), every flow entered, one re-rate.
    if (b.activeS - this.lastAdvanceS > 0) this.lastAdvanceS = b.activeS;
    f1.rate = stride.rate;
    f1.soloActiveS = f1ActiveS;
    const dt = b.activeS - f1ActiveS;
    if (dt >= 0) this.chargeLoad(b.uses, f1.rate, dt);
    f1.sent = Math.min(f1.bytes, f1.rate * (b.activeS - f1ActiveS));
    f1.state = 'moving';
    f1.movingSinceS = f1ActiveS;
    this.moving.add(f1);
    for (const { channel } of b.uses) if (channel.movingFlows++ === 0) this.busyChannels.add(channel);
    for (let k = 1; k < b.n; k++) {
      const f = flows[k]!;
      f.state = 'moving';
      f.movingSinceS = b.activeS;
      this.moving.add(f);
      for (const { channel } of b.uses) {
        if (channel.movingFlows++ === 0) this.busyChannels.add(channel);
        channel.flowsCarried++;
      }
    }
    this.rerateAt(b.activeS);
  }
}

/**
 * The first finish of `n` flows activated together at `activeS` on `uses`, one of them of `bytes`
 * (min with `beforeS`): rerate's level for flows of one shape (maxMinFairRatesInto's first round,
 * weights summed flow by flow) and its finish time, with sent 0.
 */
function burstEndS(uses: readonly Use[], cap: number, activeS: number, n: number, bytes: number, beforeS: number): number {
  let level = cap;
  for (const { channel, weight } of uses) {
    let w = 0;
    for (let k = 0; k < n; k++) w += weight;
    level = Math.min(level, channel.capacityBytesPerS / w);
  }
  return Math.min(beforeS, activeS + Math.max(0, bytes - 0) / level);
}
