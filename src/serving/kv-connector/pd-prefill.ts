/**
 * P/D producer (vLLM's kv_role kv_producer, e.g. NixlConnector on a prefill instance): a request
 * leaves once its prompt's KV is computed and its first token sampled; its blocks stay until the
 * transfer's source legs are done (the P/D deployment calls releaseHandedOff), as vLLM delays
 * freeing blocks under transfer (request_finished returning delay_free_blocks).
 */
import { WrappingKvConnector } from './wrap.js';

export class PdPrefillKvConnector extends WrappingKvConnector {
  readonly name = 'pd-prefill';
  override get leavesAfterPrefill(): boolean {
    return true;
  }
}
