/**
 * One request's KV transfer as the transfer manager (kv-transfer.ts) and a layer chain
 * (layer-chain.ts) share it: its legs, counters and chunk schedule.
 */
import type { EventHandle } from '../../kernel/simulator.js';
import type { Reservation } from '../../kv/staging-buffer.js';
import type { RequestState } from '../request-state.js';

/** What the manager asks of a transfer's layer chain. */
export interface TransferChain {
  /** Applies the steps due by now. */
  advance(): void;
  /** Hands the transfer back to chunk-by-chunk simulation at now. */
  materialize(): void;
  /** The KV is taken no earlier than `atS`: its last step's event may move there (layer-chain.ts). */
  deferFinish(atS: number): void;
}

export interface Transfer {
  readonly req: RequestState;
  /** Flow tag of its bytes (built once: a layer-wise transfer starts dozens of flows). */
  readonly tag: string;
  readonly srcGpus: readonly number[];
  dstGpus: readonly number[] | null;
  readonly bytes: number;
  /** Prompt tokens whose KV moves (disk: whole chunks only; otherwise the whole prompt). */
  readonly tokens: number;
  /** Bytes of one chunk of one shard. */
  readonly shardBytes: number;
  /** When the first chunk was due (its layer's compute ended, or prefill ended). */
  firstDueS: number;
  firstMoveS: number;
  doneS: number;
  prefillDoneS: number | null;
  srcReleased: boolean;
  ready: boolean;
  srcLeft: number;
  dstLeft: number;
  /** Seconds during which at least one of its chunks waited for staging space (union of the waits). */
  stagingWaitS: number;
  /** When its last staging reservation was granted (NaN: none waited or no staging). */
  stagingLastGrantS: number;
  /** Per channel: first and last instant this transfer's bytes crossed it (Gantt); null until a segment (none without a timeline). */
  channels: Map<string, { startS: number; endS: number }> | null;
  /** Source legs waiting for the decode reservation (direct) or staged legs waiting to be pulled. */
  readonly waiting: { shard: number; res?: Reservation }[];
  /** When each chunk falls due, and the flows each shard starts then. */
  readonly dueS: readonly number[];
  readonly pieces: number;
  /** Chunks launched so far, and the pending event of the next one (null when none is pending). */
  launched: number;
  dueEvent: EventHandle | null;
  /** Its steps computed ahead (layer-chain.ts), or null: chunk by chunk. */
  chain: TransferChain | null;
  /**
   * Begun with another transfer from the same GPUs due at the same times (prompts completed in one
   * prefill iteration): their chunks share the links from the first layer on, so neither is a chain.
   */
  batched: boolean;
  /**
   * Batch-mates due at the very same times, launched together by the first one's events
   * (kv-transfer.ts groupDue): on the first, every mate in begin order, itself included; null otherwise.
   */
  mates: Transfer[] | null;
  /** A mate launched by another transfer's events (it schedules none of its own). */
  led: boolean;
}
