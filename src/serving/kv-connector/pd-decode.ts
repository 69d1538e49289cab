/**
 * P/D consumer (kv_role kv_consumer on a decode instance): requests arrive holding blocks reserved
 * for their pulled KV (reserveForRemote), so a waiting request with blocks may pass a head that
 * cannot get any, as vLLM's WAITING_FOR_REMOTE_KVS requests do not block the queue.
 */
import { WrappingKvConnector } from './wrap.js';

export class PdDecodeKvConnector extends WrappingKvConnector {
  readonly name = 'pd-decode';
  override get waitingMayHoldBlocks(): boolean {
    return true;
  }
}
