/**
 * Accounting of a non-binding channel (Topology.nonBindingChannels: its capacity covers any load
 * the topology's routes can put on it). Such a channel is kept out of the max-min solve, the solo
 * test, episodes, bursts and claims (flows hold it apart from `uses`), and this meter gives the
 * figures the channel's in-solve accounting gave:
 * - bytes: each flow's bytes x crossings added at its end (the bytes sent at a cancel), so the same
 *   sum in another order (last digits may differ); utilisation integral = bytes / capacity;
 * - flowsCarried: flows that started moving over it;
 * - busyS and peak load from the load as a piecewise-constant function of time: the allocation's
 *   part is set at each re-rate, a solo flow adds its rate at its activation (known when it starts,
 *   so held as a future-dated change) and takes it back at its end or materialization.
 * The peak is taken over intervals of positive length, so the order of changes within one instant
 * does not matter (the in-solve peak also saw transient loads between two events at one time).
 */
import { CAPACITY_TOLERANCE } from './flow-tolerance.js';

/** A solo flow's rate due on the meter at `atS` (cancelled when the flow is materialized before it). */
export interface PendingLoad {
  atS: number;
  loadBytesPerS: number;
  /** 0 pending (ahead of the meter's clock), 1 moving, 2 gone (ended, cancelled or handed to the allocation). */
  state: 0 | 1 | 2;
}

export class FreeMeter {
  private lastS = 0;
  /** Flows moving over the channel (allocation and solo), for busyS. */
  private active = 0;
  private soloCount = 0;
  private soloLoad = 0;
  private allocLoad = 0;
  /** Re-rate scratch: the allocation's load being summed (FlowAllocation.rerateAt). */
  allocNext = 0;
  private busy = 0;
  private peak = 0;
  private bytes = 0;
  private flows = 0;
  /** Min-heap on atS of solo activations still ahead of the meter's clock. */
  private readonly pending: PendingLoad[] = [];

  constructor(
    readonly id: string,
    readonly capacityBytesPerS: number,
    startS: number,
  ) {
    this.lastS = startS;
  }

  /** A flow of the allocation starts moving at `nowS` (its load comes with the next setAllocLoad). */
  enterAlloc(nowS: number): void {
    this.advanceTo(nowS);
    this.active++;
    this.flows++;
  }

  /** A flow of the allocation stops at `nowS`, having carried `bytes` (x crossings) over the channel. */
  leaveAlloc(nowS: number, bytes: number): void {
    this.advanceTo(nowS);
    this.active--;
    this.bytes += bytes;
  }

  /** The allocation's load on the channel from `nowS` on (after a re-rate). */
  setAllocLoad(nowS: number, loadBytesPerS: number): void {
    if (loadBytesPerS === this.allocLoad) return;
    this.advanceTo(nowS);
    this.allocLoad = loadBytesPerS;
    this.check();
  }

  /** A solo flow that will move at `loadBytesPerS` from `atS` (>= the meter's clock) on. */
  scheduleSolo(atS: number, loadBytesPerS: number): PendingLoad {
    const p: PendingLoad = { atS, loadBytesPerS, state: 0 };
    heapPush(this.pending, p);
    return p;
  }

  /** A solo flow leaves at `nowS`: cancelled while still pending, else its load taken back and `bytes` added. */
  endSolo(nowS: number, p: PendingLoad, bytes: number): void {
    this.advanceTo(nowS);
    const was = p.state;
    p.state = 2;
    if (was !== 1) return;
    this.soloCount--;
    this.soloLoad = this.soloCount === 0 ? 0 : this.soloLoad - p.loadBytesPerS;
    this.active--;
    this.bytes += bytes;
  }

  /**
   * A moving solo flow turned into a flow of the allocation at `nowS` (still active, already counted):
   * its load moves from the solo part to the allocation's (set by the re-rate that follows).
   */
  soloToAlloc(nowS: number, p: PendingLoad): void {
    this.advanceTo(nowS);
    if (p.state !== 1) throw new Error(`FlowNetwork bug: ${this.id}: a solo flow handed to the allocation before it moves`);
    p.state = 2;
    this.soloCount--;
    this.soloLoad = this.soloCount === 0 ? 0 : this.soloLoad - p.loadBytesPerS;
  }

  /** Figures up to `nowS`; `inFlightBytes` (bytes x crossings sent by flows not yet ended) added to bytes. */
  stats(nowS: number, inFlightBytes: number): { loadBytesPerS: number; peakLoadBytesPerS: number; bytesCarried: number; busyS: number; utilisationIntegralS: number; flowsCarried: number } {
    this.advanceTo(nowS);
    const bytes = this.bytes + inFlightBytes;
    const load = this.active > 0 ? this.allocLoad + this.soloLoad : 0;
    return { loadBytesPerS: load, peakLoadBytesPerS: this.peak, bytesCarried: bytes, busyS: this.busy, utilisationIntegralS: bytes / this.capacityBytesPerS, flowsCarried: this.flows };
  }

  private advanceTo(t: number): void {
    const q = this.pending;
    while (q.length > 0 && q[0]!.atS <= t) {
      const p = heapPop(q);
      if (p.state !== 0) continue;
      this.integrateTo(p.atS);
      p.state = 1;
      this.soloCount++;
      this.soloLoad += p.loadBytesPerS;
      this.active++;
      this.flows++;
      this.check();
    }
    this.integrateTo(t);
  }

  private integrateTo(t: number): void {
    const dt = t - this.lastS;
    if (!(dt > 0)) return;
    if (this.active > 0) {
      this.busy += dt;
      this.peak = Math.max(this.peak, this.allocLoad + this.soloLoad);
    }
    this.lastS = t;
  }

  private check(): void {
    const load = this.allocLoad + this.soloLoad;
    if (load > this.capacityBytesPerS * (1 + CAPACITY_TOLERANCE)) {
      throw new Error(`FlowNetwork bug: non-binding channel ${this.id} carries ${load} B/s over its capacity ${this.capacityBytesPerS} B/s (a route outside its bound?)`);
    }
  }
}

function heapPush(h: PendingLoad[], p: PendingLoad): void {
  let i = h.length;
  h.push(p);
  while (i > 0) {
    const up = (i - 1) >> 1;
    if (h[up]!.atS <= p.atS) break;
    h[i] = h[up]!;
    i = up;
  }
  h[i] = p;
}

function heapPop(h: PendingLoad[]): PendingLoad {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length > 0) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.atS < h[l]!.atS ? r : l;
      if (h[c]!.atS >= last.atS) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
  return top;
}
