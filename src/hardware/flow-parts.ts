/**
 * The flow network's inner records, shared by its layers (flow-allocation.ts, flow-solo.ts,
 * flow-network.ts): a directed channel with its accounting, a path's crossing of one, and the flow
 * object behind every FlowHandle. Nothing here schedules events or computes rates; a Flow defers
 * its state, progress and cancellation to the network that owns it (FlowOwner), because a solo
 * flow's state is read from the clock rather than stored (flow-solo.ts).
 */
import type { EventHandle } from '../kernel/simulator.js';
import type { FairShareFlow } from './max-min.js';
import type { FlowHandle, FlowState } from './flow-types.js';
import type { FreeMeter, PendingLoad } from './flow-free.js';

/** A caller holding channels for flows it accounts itself (flow-network.ts); `materialize` hands them back. */
export interface ChannelClaim {
  materialize(): void;
}

/** A solo flow's closed-form timing: moving from activeS at rate, done at finishS. */
export interface SoloPlan {
  rate: number;
  activeS: number;
  finishS: number;
}

/** The part of a solo flow's timing that does not depend on when it starts (soloTimes). */
export interface SoloStride {
  rate: number;
  latencyS: number;
  /** Seconds moving its bytes at `rate`. */
  moveS: number;
}

/** When a solo flow of this stride started at `startS` starts moving and is done (the only place these sums are made). */
export function soloActiveS(s: SoloStride, startS: number): number {
  return startS + s.latencyS;
}
export function soloFinishS(s: SoloStride, startS: number): number {
  return soloActiveS(s, startS) + s.moveS;
}

export interface Channel {
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
  /** A solo flow (flow-solo.ts) crossing this channel, or null. */
  solo: Flow | null;
  /** The claimant of this channel (flow-network.ts), or null. */
  claim: ChannelClaim | null;
  /** Set on a non-binding channel (flow-free.ts): flows hold it apart from `uses` and it is accounted here. */
  meter: FreeMeter | null;
}

export interface Use {
  channel: Channel;
  weight: number;
}

/** A path's crossing of a non-binding channel (outside the solve: flow-free.ts). */
export interface FreeUse {
  meter: FreeMeter;
  weight: number;
}

export const NO_FREE_USES: readonly FreeUse[] = [];

// In flow-tolerance.ts so that flow-free.ts reads them without importing this file back.
export { TIME_TOLERANCE, CAPACITY_TOLERANCE } from './flow-tolerance.js';

/** What a Flow asks of the network that owns it (FlowNetwork). */
export interface FlowOwner {
  soloState(flow: Flow): FlowState;
  sentBytesOf(flow: Flow): number;
  cancelFlow(flow: Flow): void;
}

export class Flow implements FlowHandle {
  private st: FlowState = 'waiting';
  /** Solo flow (flow-solo.ts): moving from soloActiveS at `rate` until finishS, outside the allocation. */
  solo = false;
  soloActiveS = 0;
  sent = 0;
  rate = 0;
  movingSinceS = 0;
  finishS = Infinity;
  activation?: EventHandle;
  /** Non-binding channels crossed (outside `uses`), and a solo flow's loads due on their meters. */
  free: readonly FreeUse[] = NO_FREE_USES;
  freePending: PendingLoad[] | null = null;
  constructor(
    private readonly net: FlowOwner,
    readonly id: number,
    readonly tag: string,
    readonly bytes: number,
    readonly startS: number,
    readonly uses: readonly Use[],
    /** Its fair-share view (shared by flows of one path and cap: FlowAllocation.shareOf). */
    readonly share: FairShareFlow,
    readonly capBytesPerS: number,
    readonly onDone: ((flow: FlowHandle) => void) | undefined,
  ) {}
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
