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
import { Flow, soloActiveS, soloFinishS, type ChannelClaim, type FlowOwner, type Use } from './flow-parts.js';
import type { FlowSpec } from './flow-types.js';
import type { FairShareFlow } from './max-min.js';

/** One burst accounted ahead (at most one at a time). */
interface Burst extends ChannelClaim {
  uses: readonly Use[];
  share: FairShareFlow;
  claimed: readonly Use[];
  bytes: number;
  latencyS: number;
  cap: number;
  tag: string;
  n: number;
  firstId: number;
  startS: number;
  /** The shared activation (start + latency), and the common finish of every flow. */
  activeS: number;
  endS: number;
  onDone: (k: number) => void;
  event: EventHandle;
  /** The kernel's scheduled count right after the burst was made (nothing scheduled since: its activation may still be joined). */
  countAfter: number;
}

/** Bursts held, and those settled before their end (before / after the activation), process-wide (tests check each path ran). */
export const burstCounts = { held: 0, settledEarly: 0, settledActive: 0 };

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
    if (this.burstHeld !== null || this.moving.size > 0 || this.busyChannels.size > 0) return false;
    if (this.listener.onSegment !== undefined || this.listener.onRerate !== undefined) return false;
    const p = this.usesOf(spec.path);
    const uses = p.uses;
    this.settleClaims(uses);
    // settleClaims may have started flows: checked after it.
    if (this.moving.size > 0 || this.busyChannels.size > 0 || !this.allIdle(uses)) return false;
    for (const { channel } of uses) if (channel.claim !== null || (channel.partner?.claim ?? null) !== null) return false;
    const now = this.sim.now;
    // scheduleActivation's and the solo flow's activation (the same sum), then rerate's level for n
    // flows of one shape (maxMinFairRatesInto's first round: weights summed flow by flow).
    const activeS = now + latencyS;
    let level = cap;
    for (const { channel, weight } of uses) {
      let w = 0;
      for (let k = 0; k < n; k++) w += weight;
      level = Math.min(level, channel.capacityBytesPerS / w);
    }
    const endS = activeS + Math.max(0, bytes - 0) / level;
    if (!(endS > activeS) || !Number.isFinite(endS)) return false;
    const claimed: Use[] = [];
    for (const u of uses) {
      claimed.push(u);
      if (u.channel.partner !== undefined) claimed.push({ channel: u.channel.partner, weight: 0 });
    }
    const firstId = this.nextFlowId;
    this.nextFlowId += n;
    const b: Burst = {
      uses, share: this.shareOf(p, cap), claimed, bytes, latencyS, cap, tag: spec.tag ?? '', n, firstId, startS: now, activeS, endS, onDone,
      event: this.sim.scheduleAt(endS, () => this.endBurst(b), this.eventPriority),
      countAfter: 0,
      materialize: () => this.settleBurst(b, true),
    };
    b.countAfter = this.sim.scheduledCount;
    for (const { channel } of claimed) channel.claim = b;
    this.burstHeld = b;
    this.pendingBurst = b;
    burstCounts.held++;
    return true;
  }

  /** At its end: the flows as the activation left them, then the allocation's completion at now. */
  private endBurst(b: Burst): void {
    this.settleBurst(b, false);
    this.completeDue();
  }

  /**
   * Makes the burst's flows as step-by-step simulation holds them now, and releases its claims.
   * `schedule`: the events they hold then are scheduled (false only at its end, which completes them itself).
   */
  private settleBurst(b: Burst, schedule: boolean): void {
    if (this.burstHeld !== b) return;
    this.burstHeld = null;
    this.pendingBurst = null;
    for (const { channel } of b.claimed) if (channel.claim === b) channel.claim = null;
    const now = this.sim.now;
    if (schedule) b.event.cancel();
    const joinable = this.sim.scheduledCount === b.countAfter;
    const flows: Flow[] = [];
    for (let k = 0; k < b.n; k++) {
      // The network (FlowNetwork, the concrete class) is every flow's owner.
      const flow = new Flow(this as unknown as FlowOwner, b.firstId + k, b.tag, b.bytes, b.startS, b.uses, b.share, b.cap, () => b.onDone(k));
      flows.push(flow);
    }
    const f1 = flows[0]!;
    const stride = this.soloStrideOf(b.uses, b.bytes, b.latencyS, b.cap);
    const f1ActiveS = soloActiveS(stride, b.startS);
    if (schedule) {
      if (now < b.activeS) burstCounts.settledEarly++;
      else burstCounts.settledActive++;
    }
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
    f1.sent = Math.min(b.bytes, f1.rate * (b.activeS - f1ActiveS));
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
    this.rerateAt(b.activeS, schedule);
  }
}
