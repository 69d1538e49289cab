/**
 * Solo flows in closed form, the common case of layer-wise KV chunks: each one alone on its links.
 * A flow that starts while every channel it crosses, and every duplex partner of those, is idle is
 * not put in the shared allocation (flow-allocation.ts) at all. Alone, its rate is constant (the same
 * min over capacities / crossings and its cap that progressive filling gives one flow), so its
 * arrival is start + latency + bytes / rate in closed form: one event instead of an activation, a
 * completion and two re-rates, and its channel integrals are added in closed form when it ends. The
 * moment another flow starts moving on one of those channels (or their partners), the solo flow is
 * "materialized" exactly: its bytes sent so far are rate x elapsed, and from then on it is an
 * ordinary flow of the allocation. Activation lives here because it is what materializes solos; it
 * also makes claimants settle first (claims: flow-network.ts).
 */
import { FlowAllocation } from './flow-allocation.js';
import type { FlowState } from './flow-types.js';
import { soloActiveS, soloFinishS, type Channel, type Flow, type SoloPlan, type SoloStride, type Use } from './flow-parts.js';

/** A flow carrying `loadBytesPerS` over `channel` for `dt` seconds, added to its integrals. */
export function chargeChannel(channel: Channel, loadBytesPerS: number, dt: number): void {
  channel.flowsCarried++;
  channel.peakLoadBytesPerS = Math.max(channel.peakLoadBytesPerS, loadBytesPerS);
  channel.bytesCarried += loadBytesPerS * dt;
  channel.busyS += dt;
  channel.utilisationIntegralS += (loadBytesPerS / channel.capacityBytesPerS) * dt;
}

/** A finished flow's round-off residue (bytes) credited to `channel` so that bytes balance exactly. */
export function creditChannel(channel: Channel, residualBytes: number): void {
  channel.bytesCarried += residualBytes;
  channel.utilisationIntegralS += residualBytes / channel.capacityBytesPerS;
}

export abstract class SoloFlows extends FlowAllocation {
  /** Claimants of these channels or their duplex partners settle first (flow-network.ts). */
  protected settleClaims(uses: readonly Use[]): void {
    for (const { channel } of uses) {
      channel.claim?.materialize();
      channel.partner?.claim?.materialize();
    }
  }

  protected activate(flow: Flow): void {
    this.enter(flow);
    this.rerate();
  }

  /**
   * The activation last scheduled (scheduleActivation), while nothing else has been scheduled
   * since: a flow due to activate at the same instant on the same path joins its event.
   */
  protected burst: { atS: number; seq: number; uses: readonly Use[]; flows: Flow[] } | null = null;

  /**
   * Schedules a flow's activation after its latency. Flows started one after another with nothing
   * else scheduled in between, due at the same instant on the same path (a transfer's staged
   * chunks pulled at once when the decode side is reserved), share one event that activates them
   * in start order and re-rates once. Their separate events would run back to back (same time and
   * priority, consecutive sequence numbers), and a re-rate between two activations at one instant
   * is overwritten by the next: every rate, finish time and channel integral is the same, with
   * 1 re-rate instead of K (each over all moving flows).
   */
  protected scheduleActivation(flow: Flow, latencyS: number, startS = this.sim.now): void {
    const atS = startS + latencyS;
    const b = this.burst;
    if (b !== null && b.atS === atS && b.uses === flow.uses && b.seq === this.sim.scheduledCount && b.flows[0]!.state === 'waiting') {
      // A flow of a shared event is cancelled by its state alone (the event skips it).
      b.flows[0]!.activation = undefined;
      b.flows.push(flow);
      return;
    }
    const flows = [flow];
    flow.activation = this.sim.scheduleAt(atS, () => this.activateBurst(flows), this.eventPriority);
    this.burst = { atS, seq: this.sim.scheduledCount, uses: flow.uses, flows };
  }

  /**
   * Ends the current burst, as scheduling any other event would: the next flow gets its own
   * activation (a caller that launches several transfers' chunks in one event, where each would
   * have scheduled its next chunk in between).
   */
  separateActivations(): void {
    this.burst = null;
  }

  protected activateBurst(flows: Flow[]): void {
    if (this.burst?.flows === flows) this.burst = null;
    let entered = false;
    for (const f of flows) {
      if (f.state !== 'waiting') continue;
      this.enter(f);
      entered = true;
    }
    if (entered) this.rerate();
  }

  /** A flow starts moving in the allocation (claims settled, solos on its links materialized); the caller re-rates. */
  private enter(flow: Flow): void {
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
    for (const { meter } of flow.free) meter.enterAlloc(this.sim.now);
  }

  /** Solo flows not yet ended, in start order. */
  protected readonly solos = new Set<Flow>();

  /** Every channel of `uses`, and every duplex partner of those, carries nothing and no solo flow. */
  protected allIdle(uses: readonly Use[]): boolean {
    for (const { channel } of uses) {
      if (channel.movingFlows > 0 || channel.solo !== null) return false;
      const p = channel.partner;
      if (p !== undefined && (p.movingFlows > 0 || p.solo !== null)) return false;
    }
    return uses.length > 0;
  }

  protected weightOn(flow: Flow, c: Channel): number {
    for (const u of flow.uses) if (u.channel === c) return u.weight;
    return 0;
  }

  protected startSolo(flow: Flow, latencyS: number): void {
    this.startSoloAt(flow, latencyS, this.sim.now);
  }

  protected startSoloAt(flow: Flow, latencyS: number, startS: number): void {
    const plan = this.soloTiming(flow.uses, flow.bytes, latencyS, flow.capBytesPerS, startS);
    flow.solo = true;
    flow.rate = plan.rate;
    flow.soloActiveS = plan.activeS;
    flow.movingSinceS = plan.activeS;
    flow.finishS = plan.finishS;
    for (const { channel } of flow.uses) channel.solo = flow;
    // Its activation is known now, so its load on non-binding channels is entered ahead (flow-free.ts).
    if (flow.free.length > 0) flow.freePending = flow.free.map(({ meter, weight }) => meter.scheduleSolo(plan.activeS, plan.rate * weight));
    this.solos.add(flow);
    flow.activation = this.sim.scheduleAt(flow.finishS, () => this.finishSolo(flow), this.eventPriority);
  }

  /** The timing of a flow alone on `uses` started at `startS` (also what a layer chain replays). */
  protected soloTiming(uses: readonly Use[], bytes: number, latencyS: number, capBytesPerS: number, startS: number): SoloPlan {
    const s = this.soloStrideOf(uses, bytes, latencyS, capBytesPerS);
    return { rate: s.rate, activeS: soloActiveS(s, startS), finishS: soloFinishS(s, startS) };
  }

  /** What soloTiming computes whatever the start: a chain of equal flows computes it once. */
  protected soloStrideOf(uses: readonly Use[], bytes: number, latencyS: number, capBytesPerS: number): SoloStride {
    // The rate progressive filling gives one flow alone: min of its cap and capacity / crossings.
    let rate = capBytesPerS;
    for (const { channel, weight } of uses) rate = Math.min(rate, channel.capacityBytesPerS / weight);
    // The same operations as the allocation path: activation at now + latency, then now + bytes / rate.
    return { rate, latencyS, moveS: Math.max(0, bytes - 0) / rate };
  }

  /** @internal A solo flow's state, from the clock. */
  soloState(flow: Flow): FlowState {
    return this.sim.now < flow.soloActiveS ? 'waiting' : 'moving';
  }

  /** Adds a solo flow's channel integrals over [its activation, untilS] (it was alone: constant load). */
  protected accountSolo(flow: Flow, untilS: number): void {
    const dt = untilS - flow.soloActiveS;
    for (const { channel } of flow.uses) channel.solo = null;
    if (dt >= 0) this.chargeLoad(flow.uses, flow.rate, dt);
    this.solos.delete(flow);
    flow.solo = false;
  }

  /** Adds a flow moving alone at `rate` for `dt` seconds to the integrals of the channels it crosses. */
  protected chargeLoad(uses: readonly Use[], rate: number, dt: number): void {
    for (const { channel, weight } of uses) chargeChannel(channel, rate * weight, dt);
  }

  /** Credits the round-off residue of a finished solo flow so that bytes balance exactly (as detach() does). */
  protected creditResidue(uses: readonly Use[], bytes: number, rate: number, carriedS: number): void {
    for (const { channel, weight } of uses) creditChannel(channel, (bytes - rate * carriedS) * weight);
  }

  protected finishSolo(flow: Flow): void {
    const now = this.sim.now;
    // Bytes balance exactly, as detach() credits a finishing flow's round-off residue.
    const carriedS = now - flow.soloActiveS;
    this.accountSolo(flow, now);
    this.creditResidue(flow.uses, flow.bytes, flow.rate, carriedS);
    flow.sent = flow.bytes;
    flow.state = 'done';
    flow.rate = 0;
    this.completed++;
    this.delivered += flow.bytes;
    for (const { channel, weight } of flow.uses) {
      this.listener.onSegment?.({ channelId: channel.id, flowId: flow.id, tag: flow.tag, startS: flow.soloActiveS, endS: now, bytes: flow.bytes * weight });
    }
    const pending = flow.freePending;
    if (pending !== null) {
      flow.freePending = null;
      flow.free.forEach(({ meter, weight }, k) => {
        meter.endSolo(now, pending[k]!, flow.bytes * weight);
        this.listener.onSegment?.({ channelId: meter.id, flowId: flow.id, tag: flow.tag, startS: flow.soloActiveS, endS: now, bytes: flow.bytes * weight });
      });
    }
    flow.onDone?.(flow);
  }

  /**
   * Turns a solo flow into an ordinary one at now, exactly: still in its latency, it waits for
   * its activation; moving, it has sent rate x elapsed and joins the allocation (the caller re-rates).
   */
  protected materialize(flow: Flow): void {
    const now = this.sim.now;
    flow.activation?.cancel();
    const activeS = flow.soloActiveS;
    this.accountSolo(flow, now);
    const pending = flow.freePending;
    if (pending !== null) {
      flow.freePending = null;
      // Not yet moving: its pending load is dropped (its activation enters it as a flow of the allocation).
      for (let k = 0; k < pending.length; k++) {
        const meter = flow.free[k]!.meter;
        if (now < activeS) meter.endSolo(now, pending[k]!, 0);
        else meter.soloToAlloc(now, pending[k]!);
      }
    }
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
}
