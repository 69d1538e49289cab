/**
 * Episodes of two-leg flows computed in one call: K flows started together on one path from an
 * idle network, each followed, the instant it ends, by a second flow on another path (a KV chunk
 * copied to host staging, then pulled to the decode GPU). Prompts batched in one prefill iteration
 * send such a group at every layer; the flows share links, so they go through the max-min
 * allocation, ~4 kernel events per flow. When nothing else moves anywhere in the allocation and
 * no other event can run before the episode ends (the caller checks the kernel's next event), the
 * episode is a closed system: this file runs it in a private loop that performs the same float
 * operations, in the same order, as flow-allocation.ts and flow-solo.ts would (advance, solo
 * flows and their materialization, activation bursts, re-rates, completions with their
 * tolerance), on copies of the channels' figures, and the caller commits it in one step.
 * Without a second path the episode is of copies only (the chunks then wait in staging for a
 * destination not known yet); with one, some pairs may still be copies only (`pulls`). A caller whose check fails discards it and starts the flows the ordinary way. Differential test:
 * flow-episode.test.ts (episode against the event-driven network, byte for byte).
 */
import { maxMinFairRatesInto, type ChannelUse, type FairShareFlow } from './max-min.js';
import { BurstFlows } from './flow-burst.js';
import { TIME_TOLERANCE, type Channel, type Use } from './flow-parts.js';

/** One leg's path as the network resolves it. */
interface Leg {
  /** Slots of its channels in the episode's channel copies, with crossing weights. */
  slots: number[];
  weights: number[];
  share: FairShareFlow;
  latencyS: number;
  capBytesPerS: number;
}

/** The channels and legs of one pair of paths, built once and reused by every episode on them. */
interface Shape {
  /** Null: copies only (no second leg). */
  uses2: readonly Use[] | null;
  latency1S: number;
  cap1: number;
  latency2S: number;
  cap2: number;
  leg1: Leg;
  leg2: Leg | null;
  chans: EChannel[];
  capacities: number[];
}

const WAITING = 0;
const SOLO = 1;
const MOVING = 2;
const DONE = 3;

/** An episode's flow (flow-parts.ts Flow's fields that the allocation reads and writes). */
interface EFlow {
  leg: Leg;
  /** Index of its pair (the K flows of the first leg, then their second legs). */
  pair: number;
  second: boolean;
  bytes: number;
  state: number;
  sent: number;
  rate: number;
  finishS: number;
  soloActiveS: number;
  /** Pending solo-finish or activation event. */
  event: EEvent | null;
}

const SOLO_END = 0;
const ACTIVATE = 1;
const COMPLETE = 2;

interface EEvent {
  timeS: number;
  seq: number;
  kind: number;
  /** Its flows, the first `nFlows` (a pooled event keeps its array). */
  flows: EFlow[];
  nFlows: number;
  cancelled: boolean;
}

/** A channel's figures, copied at the episode's start and written back when it is committed. */
interface EChannel {
  ch: Channel;
  partner: number;
  capacity: number;
  bidirectional: number;
  effective: number;
  movingFlows: number;
  load: number;
  peak: number;
  bytesCarried: number;
  busyS: number;
  utilisation: number;
  flowsCarried: number;
  solo: EFlow | null;
}

/** What an episode did, for its caller to apply (staging pages, transfer counters) when committed. */
export interface FlowEpisode {
  /** Time of its last event (every flow is done by then). */
  readonly endS: number;
  /** Completions in order (doneCount of them): pair index, second leg or not, time. */
  readonly doneCount: number;
  readonly donePair: readonly number[];
  readonly doneSecond: readonly boolean[];
  readonly doneS: readonly number[];
}

export abstract class EpisodeFlows extends BurstFlows {
  /** Shapes by first path's uses (an episode's second path is looked up in its list). */
  private readonly shapes = new WeakMap<readonly Use[], Shape[]>();
  /** One run's scratch, reused: an episode is committed or dropped before the next one runs. */
  private readonly scratch = new EpisodeRun();

  private shapeOf(path1: readonly string[], latency1S: number, cap1: number, path2: readonly string[] | null, latency2S: number, cap2: number): Shape {
    const a = this.usesOf(path1);
    const b = path2 === null ? null : this.usesOf(path2);
    const uses2 = b === null ? null : b.uses;
    let list = this.shapes.get(a.uses);
    if (list === undefined) this.shapes.set(a.uses, (list = []));
    for (const sh of list) {
      if (sh.uses2 === uses2 && sh.latency1S === latency1S && sh.cap1 === cap1 && sh.latency2S === latency2S && sh.cap2 === cap2) return sh;
    }
    const slotOf = new Map<Channel, number>();
    const chans: EChannel[] = [];
    const leg = (uses: readonly Use[], shareUses: readonly ChannelUse[], latencyS: number, capBytesPerS: number): Leg => ({
      slots: uses.map((u) => slotFor(u.channel, slotOf, chans)), weights: uses.map((u) => u.weight), share: { uses: shareUses, capBytesPerS }, latencyS, capBytesPerS,
    });
    const leg1 = leg(a.uses, a.shareUses, latency1S, cap1);
    const leg2 = b === null ? null : leg(b.uses, b.shareUses, latency2S, cap2);
    for (let i = 0; i < chans.length; i++) {
      const p = chans[i]!.ch.partner;
      if (p !== undefined) chans[i]!.partner = slotFor(p, slotOf, chans);
    }
    let maxIndex = 0;
    for (const c of chans) maxIndex = Math.max(maxIndex, c.ch.index);
    const sh: Shape = { uses2, latency1S, cap1, latency2S, cap2, leg1, leg2, chans, capacities: new Array<number>(maxIndex + 1).fill(0) };
    list.push(sh);
    return sh;
  }

  /**
   * Runs an episode at now: flow i of `bytes` starts on path 1, in order, and when it ends a flow
   * of the same bytes starts on path 2 (none when `path2` is null: copies only). Null when the allocation is not empty, a channel of either
   * path (or a duplex partner) carries or is claimed, a listener wants segments or re-rates, or
   * some event of the episode falls at or after `beforeS`. Nothing changes until commitEpisode,
   * which must come before the next episode is run (the result is scratch space). `startS` (not
   * before now) runs it as of a later instant, for a caller that knows nothing else happens until
   * then (the network is as this call finds it, its last advance included). `pulls` (with a
   * second path): which pairs have a second leg (null: all), so a group may mix both kinds.
   */
  runEpisode(
    path1: readonly string[], latency1S: number, cap1: number,
    path2: readonly string[] | null, latency2S: number, cap2: number,
    bytes: readonly number[], beforeS: number, startS = this.sim.now, pulls: readonly boolean[] | null = null,
  ): FlowEpisode | null {
    if (!(startS >= this.sim.now)) return null;
    if (!this.soloFlows || this.moving.size > 0 || this.listener.onSegment !== undefined || this.listener.onRerate !== undefined) return null;
    // A burst held ahead (flow-burst.ts) is the allocation's from its activation on, and until then
    // its activation event would be the kernel's next: the episode must end before it.
    const burstS = this.burstActivationS;
    if (!Number.isNaN(burstS)) {
      if (!(this.sim.now < burstS)) return null;
      if (burstS < beforeS) beforeS = burstS;
    }
    for (const b of bytes) if (!(b > 0)) return null;
    // An episode runs ahead of the clock; a non-binding channel's meter runs in time order.
    if (this.usesOf(path1).free.length > 0 || (path2 !== null && this.usesOf(path2).free.length > 0)) return null;
    const sh = this.shapeOf(path1, latency1S, cap1, path2, latency2S, cap2);
    for (const e of sh.chans) {
      const c = e.ch;
      if (c.movingFlows > 0 || c.solo !== null || c.claim !== null) return null;
      e.effective = c.effectiveBytesPerS;
      e.movingFlows = 0;
      e.load = c.loadBytesPerS;
      e.peak = c.peakLoadBytesPerS;
      e.bytesCarried = c.bytesCarried;
      e.busyS = c.busyS;
      e.utilisation = c.utilisationIntegralS;
      e.flowsCarried = c.flowsCarried;
      e.solo = null;
    }
    return this.scratch.run(sh, bytes, pulls, startS, this.lastAdvanceS, beforeS) ? this.scratch : null;
  }

  /** Applies an episode's channel figures and counters (the caller applies its own effects). */
  commitEpisode(e: FlowEpisode): void {
    const r = e as EpisodeRun;
    for (const c of r.shape!.chans) {
      const ch = c.ch;
      ch.effectiveBytesPerS = c.effective;
      ch.loadBytesPerS = c.load;
      ch.peakLoadBytesPerS = c.peak;
      ch.bytesCarried = c.bytesCarried;
      ch.busyS = c.busyS;
      ch.utilisationIntegralS = c.utilisation;
      ch.flowsCarried = c.flowsCarried;
    }
    this.lastAdvanceS = r.lastAdvanceS;
    this.nextFlowId += r.flows;
    this.completed += r.doneCount;
    for (let i = 0; i < r.doneCount; i++) this.delivered += r.bytes[r.donePair[i]!]!;
  }
}

function slotFor(c: Channel, slotOf: Map<Channel, number>, chans: EChannel[]): number {
  let s = slotOf.get(c);
  if (s === undefined) {
    s = chans.length;
    slotOf.set(c, s);
    chans.push({
      ch: c, partner: -1, capacity: c.capacityBytesPerS, bidirectional: c.bidirectionalBytesPerS, effective: 0,
      movingFlows: 0, load: 0, peak: 0, bytesCarried: 0, busyS: 0, utilisation: 0, flowsCarried: 0, solo: null,
    });
  }
  return s;
}

/**
 * One episode's private loop. Each method names the method of flow-allocation.ts / flow-solo.ts
 * whose operations it repeats; events are ordered by [time, seq] (all the network's events have
 * one priority), and `seq` counts what the kernel would have been asked to schedule, which is
 * what the activation-burst rule compares.
 */
class EpisodeRun implements FlowEpisode {
  shape: Shape | null = null;
  bytes: readonly number[] = [];
  lastAdvanceS = 0;
  endS = 0;
  flows = 0;
  doneCount = 0;
  readonly donePair: number[] = [];
  readonly doneSecond: boolean[] = [];
  readonly doneS: number[] = [];
  private chans: EChannel[] = [];
  private leg2: Leg | null = null;
  /** Which pairs have a second leg (null: all, when leg2 is set). */
  private pulls: readonly boolean[] | null = null;
  private capacities: number[] = [];
  private now = 0;
  private beforeS = 0;
  private seq = 0;
  private readonly events: EEvent[] = [];
  private readonly moving: EFlow[] = [];
  private completion: EEvent | null = null;
  /** The activation event that later flows of the same leg, time and seq join (null: none). */
  private burst: EEvent | null = null;
  private burstLeg: Leg | null = null;
  /** The seq the burst was scheduled at (the kernel's counter then, as SoloFlows compares). */
  private burstSeq = 0;
  /**
   * Flows and events come from pools reset at each run (an episode's objects are dead once it is
   * committed or dropped): ~4 objects and arrays per flow were a fifth of a P/D run's allocation.
   */
  private readonly flowPool: EFlow[] = [];
  private flowsUsed = 0;
  private readonly eventPool: EEvent[] = [];
  private eventsUsed = 0;
  private readonly shares: FairShareFlow[] = [];
  private readonly rates: number[] = [];
  private readonly finished: EFlow[] = [];
  private failed = false;

  /** Runs the episode on `shape`'s channel copies (filled by the caller); false when it must not be used. */
  run(shape: Shape, bytes: readonly number[], pulls: readonly boolean[] | null, startS: number, lastAdvanceS: number, beforeS: number): boolean {
    this.shape = shape;
    this.pulls = pulls;
    this.chans = shape.chans;
    this.leg2 = shape.leg2;
    this.capacities = shape.capacities;
    this.bytes = bytes;
    this.now = startS;
    this.lastAdvanceS = lastAdvanceS;
    this.beforeS = beforeS;
    this.seq = 0;
    // Empty after an episode that ran to its end: `length =` (a runtime call) only after one dropped mid-way.
    if (this.events.length > 0) this.events.length = 0;
    if (this.moving.length > 0) this.moving.length = 0;
    this.completion = null;
    this.burst = null;
    this.flowsUsed = 0;
    this.eventsUsed = 0;
    this.flows = 0;
    this.doneCount = 0;
    this.failed = false;
    for (let i = 0; i < bytes.length; i++) {
      this.startFlow(this.newFlow(shape.leg1, i, false, bytes[i]!));
      // Between two chunks' starts the caller's event schedules its next chunk: no burst spans them.
      this.burst = null;
    }
    for (;;) {
      const ev = this.pop();
      if (ev === null) break;
      if (!(ev.timeS < this.beforeS)) return false;
      this.now = ev.timeS;
      if (ev.kind === SOLO_END) this.finishSolo(ev.flows[0]!);
      else if (ev.kind === ACTIVATE) this.activateBurst(ev);
      else this.completeDue();
      if (this.failed) return false;
    }
    if (this.moving.length > 0) return false;
    for (const c of this.chans) if (c.movingFlows !== 0 || c.solo !== null) return false;
    this.endS = this.now;
    return true;
  }

  /** An event of `kind` with `flow` (null: none) as its first flow. */
  private schedule(timeS: number, kind: number, flow: EFlow | null): EEvent {
    let ev = this.eventPool[this.eventsUsed];
    if (ev === undefined) this.eventPool.push((ev = { timeS: 0, seq: 0, kind: 0, flows: [], nFlows: 0, cancelled: false }));
    this.eventsUsed++;
    ev.timeS = timeS;
    ev.seq = this.seq++;
    ev.kind = kind;
    ev.cancelled = false;
    ev.nFlows = 0;
    if (flow !== null) ev.flows[ev.nFlows++] = flow;
    this.events.push(ev);
    return ev;
  }

  private newFlow(leg: Leg, pair: number, second: boolean, bytes: number): EFlow {
    let f = this.flowPool[this.flowsUsed];
    if (f === undefined) this.flowPool.push((f = { leg, pair, second, bytes, state: WAITING, sent: 0, rate: 0, finishS: Infinity, soloActiveS: 0, event: null }));
    this.flowsUsed++;
    f.leg = leg;
    f.pair = pair;
    f.second = second;
    f.bytes = bytes;
    f.state = WAITING;
    f.sent = 0;
    f.rate = 0;
    f.finishS = Infinity;
    f.soloActiveS = 0;
    f.event = null;
    return f;
  }

  private pop(): EEvent | null {
    const evs = this.events;
    let best = -1;
    for (let i = 0; i < evs.length; ) {
      const e = evs[i]!;
      if (e.cancelled) {
        evs[i] = evs[evs.length - 1]!;
        evs.pop();
        continue;
      }
      if (best < 0) best = i;
      else {
        const b = evs[best]!;
        if (e.timeS < b.timeS || (e.timeS === b.timeS && e.seq < b.seq)) best = i;
      }
      i++;
    }
    if (best < 0) return null;
    const ev = evs[best]!;
    evs[best] = evs[evs.length - 1]!;
    evs.pop();
    return ev;
  }

  /** FlowNetwork.startFlow (a flow with bytes, channels and a latency). */
  private startFlow(f: EFlow): void {
    this.flows++;
    const leg = f.leg;
    if (this.allIdle(leg)) this.startSolo(f);
    else if (leg.latencyS > 0) this.scheduleActivation(f);
    else {
      this.enter(f);
      this.rerate();
    }
  }

  /** SoloFlows.allIdle. */
  private allIdle(leg: Leg): boolean {
    for (const s of leg.slots) {
      const c = this.chans[s]!;
      if (c.movingFlows > 0 || c.solo !== null) return false;
      if (c.partner >= 0) {
        const p = this.chans[c.partner]!;
        if (p.movingFlows > 0 || p.solo !== null) return false;
      }
    }
    return leg.slots.length > 0;
  }

  /** SoloFlows.startSoloAt / soloStrideOf at now. */
  private startSolo(f: EFlow): void {
    const leg = f.leg;
    let rate = leg.capBytesPerS;
    for (let k = 0; k < leg.slots.length; k++) rate = Math.min(rate, this.chans[leg.slots[k]!]!.capacity / leg.weights[k]!);
    const moveS = Math.max(0, f.bytes - 0) / rate;
    f.state = SOLO;
    f.rate = rate;
    f.soloActiveS = this.now + leg.latencyS;
    f.finishS = f.soloActiveS + moveS;
    for (const s of leg.slots) this.chans[s]!.solo = f;
    f.event = this.schedule(f.finishS, SOLO_END, f);
  }

  /** SoloFlows.scheduleActivation. */
  private scheduleActivation(f: EFlow): void {
    const atS = this.now + f.leg.latencyS;
    const b = this.burst;
    if (b !== null && b.timeS === atS && this.burstLeg === f.leg && this.burstSeq === this.seq && b.flows[0]!.state === WAITING) {
      b.flows[0]!.event = null;
      b.flows[b.nFlows++] = f;
      return;
    }
    const ev = this.schedule(atS, ACTIVATE, f);
    f.event = ev;
    this.burst = ev;
    this.burstLeg = f.leg;
    this.burstSeq = this.seq;
  }

  /** SoloFlows.activateBurst. */
  private activateBurst(ev: EEvent): void {
    if (this.burst === ev) this.burst = null;
    let entered = false;
    for (let i = 0; i < ev.nFlows; i++) {
      const f = ev.flows[i]!;
      if (f.state !== WAITING) continue;
      this.enter(f);
      entered = true;
    }
    if (entered) this.rerate();
  }

  /** SoloFlows.enter (no claims: the episode's channels have none). */
  private enter(f: EFlow): void {
    this.advance();
    const leg = f.leg;
    for (const s of leg.slots) {
      const c = this.chans[s]!;
      if (c.solo !== null) this.materialize(c.solo);
      if (c.partner >= 0) {
        const p = this.chans[c.partner]!;
        if (p.solo !== null) this.materialize(p.solo);
      }
    }
    f.state = MOVING;
    this.moving.push(f);
    for (const s of leg.slots) {
      const c = this.chans[s]!;
      c.movingFlows++;
      c.flowsCarried++;
    }
  }

  /** FlowAllocation.advance. */
  private advance(): void {
    const now = this.now;
    const dt = now - this.lastAdvanceS;
    if (dt <= 0) return;
    for (const f of this.moving) f.sent += f.rate * dt;
    for (const c of this.chans) {
      if (c.movingFlows === 0) continue;
      c.bytesCarried += c.load * dt;
      c.busyS += dt;
      c.utilisation += (c.load / c.capacity) * dt;
    }
    this.lastAdvanceS = now;
  }

  /** SoloFlows.chargeLoad. */
  private chargeLoad(leg: Leg, rate: number, dt: number): void {
    for (let k = 0; k < leg.slots.length; k++) {
      const c = this.chans[leg.slots[k]!]!;
      const load = rate * leg.weights[k]!;
      c.flowsCarried++;
      c.peak = Math.max(c.peak, load);
      c.bytesCarried += load * dt;
      c.busyS += dt;
      c.utilisation += (load / c.capacity) * dt;
    }
  }

  /** SoloFlows.accountSolo. */
  private accountSolo(f: EFlow, untilS: number): void {
    const dt = untilS - f.soloActiveS;
    for (const s of f.leg.slots) this.chans[s]!.solo = null;
    if (dt >= 0) this.chargeLoad(f.leg, f.rate, dt);
  }

  /** SoloFlows.materialize. */
  private materialize(f: EFlow): void {
    const now = this.now;
    if (f.event !== null) f.event.cancelled = true;
    f.event = null;
    const activeS = f.soloActiveS;
    this.accountSolo(f, now);
    if (now < activeS) {
      f.state = WAITING;
      f.rate = 0;
      // Its own activation event (SoloFlows.activate: enter and re-rate), not a burst.
      f.event = this.schedule(activeS, ACTIVATE, f);
      return;
    }
    this.advance();
    f.sent = Math.min(f.bytes, f.rate * (now - activeS));
    f.state = MOVING;
    this.moving.push(f);
    for (const s of f.leg.slots) this.chans[s]!.movingFlows++;
  }

  /** SoloFlows.finishSolo. */
  private finishSolo(f: EFlow): void {
    const now = this.now;
    f.event = null;
    const carriedS = now - f.soloActiveS;
    this.accountSolo(f, now);
    const leg = f.leg;
    for (let k = 0; k < leg.slots.length; k++) {
      const c = this.chans[leg.slots[k]!]!;
      const residual = (f.bytes - f.rate * carriedS) * leg.weights[k]!;
      c.bytesCarried += residual;
      c.utilisation += residual / c.capacity;
    }
    f.sent = f.bytes;
    f.state = DONE;
    f.rate = 0;
    this.onDone(f);
  }

  /** FlowAllocation.detach (state done). */
  private detach(f: EFlow): void {
    const residual = f.bytes - f.sent;
    f.sent = f.bytes;
    f.state = DONE;
    f.rate = 0;
    // Removed in place, order kept (splice returns a fresh array of what it removed).
    const m = this.moving;
    const last = m.length - 1;
    for (let j = m.indexOf(f); j < last; j++) m[j] = m[j + 1]!;
    m.pop();
    const leg = f.leg;
    for (let k = 0; k < leg.slots.length; k++) {
      const c = this.chans[leg.slots[k]!]!;
      const w = leg.weights[k]!;
      c.bytesCarried += residual * w;
      c.utilisation += (residual * w) / c.capacity;
      if (--c.movingFlows === 0) {
        c.load = 0;
        c.effective = c.capacity;
      }
    }
  }

  /** FlowAllocation.rerate. */
  private rerate(): void {
    const chans = this.chans;
    for (const c of chans) {
      if (c.movingFlows === 0) continue;
      const duplexBusy = c.partner >= 0 && chans[c.partner]!.movingFlows > 0;
      c.effective = duplexBusy ? c.bidirectional : c.capacity;
      this.capacities[c.ch.index] = c.effective;
      c.load = 0;
    }
    const n = this.moving.length;
    for (let i = 0; i < n; i++) this.shares[i] = this.moving[i]!.leg.share;
    maxMinFairRatesInto(this.shares, n, this.capacities, this.rates);
    const now = this.now;
    let nextS = Infinity;
    for (let i = 0; i < n; i++) {
      const f = this.moving[i]!;
      f.rate = this.rates[i]!;
      const leg = f.leg;
      for (let k = 0; k < leg.slots.length; k++) chans[leg.slots[k]!]!.load += f.rate * leg.weights[k]!;
      f.finishS = now + Math.max(0, f.bytes - f.sent) / f.rate;
      nextS = Math.min(nextS, f.finishS);
    }
    for (const c of chans) {
      if (c.movingFlows === 0) continue;
      // The allocation's capacity guard would throw here: leave it to the ordinary path.
      if (c.load > c.effective * (1 + 1e-9)) this.failed = true;
      c.peak = Math.max(c.peak, c.load);
    }
    if (this.completion !== null) this.completion.cancelled = true;
    this.completion = Number.isFinite(nextS) ? this.schedule(Math.max(now, nextS), COMPLETE, null) : null;
  }

  /** FlowAllocation.completeDue. */
  private completeDue(): void {
    this.completion = null;
    this.advance();
    const now = this.now;
    const limitS = now + TIME_TOLERANCE * Math.max(1, now);
    const finished = this.finished;
    // Entries past n are stale (no `length =`, a runtime call per completion).
    let n = 0;
    for (const f of this.moving) if (f.finishS <= limitS) finished[n++] = f;
    for (let i = 0; i < n; i++) this.detach(finished[i]!);
    this.rerate();
    // Callbacks after the re-rate, in finish order (as completeDue calls onDone); one may start a flow.
    for (let i = 0; i < n; i++) this.onDone(finished[i]!);
  }

  /** Every end is recorded (completed and delivered count it); a first leg's end starts its second leg, if any, at once. */
  private onDone(f: EFlow): void {
    const k = this.doneCount++;
    this.donePair[k] = f.pair;
    this.doneSecond[k] = f.second;
    this.doneS[k] = this.now;
    if (!f.second && this.leg2 !== null && (this.pulls === null || this.pulls[f.pair])) this.startFlow(this.newFlow(this.leg2, f.pair, true, f.bytes));
  }
}
