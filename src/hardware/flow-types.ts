/**
 * The public contract of the flow network: what a caller passes to start a flow, the handle it gets
 * back, and what the network reports (per-channel accounting, timeline segments for a Gantt chart).
 */

export type FlowState = 'waiting' | 'moving' | 'done' | 'cancelled';

export interface FlowSpec {
  /** Channel ids crossed in order; a channel listed twice is crossed twice (DRAM write then read). */
  path: readonly string[];
  bytes: number;
  /** Time before the first byte moves (the path's summed latency). Default 0. */
  latencyS?: number;
  /** The flow's own ceiling: pageable host memory, a slow endpoint. Default none. */
  rateCapBytesPerS?: number;
  /** Free label for reports and timelines ("kv r12 L3", "offload"). */
  tag?: string;
  /** Called once, through the event queue, when the last byte has arrived (not after cancel()). */
  onDone?: (flow: FlowHandle) => void;
}

export interface FlowHandle {
  readonly id: number;
  readonly tag: string;
  readonly bytes: number;
  /** Time startFlow was called. */
  readonly startS: number;
  readonly state: FlowState;
  /** Bytes delivered up to now. */
  sentBytes(): number;
  /** Current rate (0 while waiting its latency or once finished). */
  rateBytesPerS(): number;
  /** Stops the flow; bytes already delivered stay accounted; onDone is not called. */
  cancel(): void;
}

/** One flow's stay on one channel, for a Gantt chart (emitted when the flow ends or is cancelled). */
export interface ChannelSegment {
  channelId: string;
  flowId: number;
  tag: string;
  /** When the flow started moving bytes (after its latency). */
  startS: number;
  endS: number;
  /** Bytes the flow carried over this channel (x2 when crossed twice). */
  bytes: number;
}

export interface FlowNetworkListener {
  onSegment?(segment: ChannelSegment): void;
  /** After every re-rate; the time is the simulator's now. Tests use it to check capacities. */
  onRerate?(timeS: number): void;
}

export interface ChannelStats {
  id: string;
  capacityBytesPerS: number;
  /** Capacity right now (lower while a duplex coupling is engaged). */
  effectiveCapacityBytesPerS: number;
  loadBytesPerS: number;
  peakLoadBytesPerS: number;
  bytesCarried: number;
  /** Time with at least one moving flow. */
  busyS: number;
  /** Integral of load / nominal capacity over time; utilisation over a window = this / window. */
  utilisationIntegralS: number;
  flowsCarried: number;
}
