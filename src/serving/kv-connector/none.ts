/** No KV connector: plain vLLM, KV only in the GPU cache, preemption by recompute. */
import type { RequestState } from '../request-state.js';
import type { AdmitResult, KvConnector } from './types.js';

export class NoKvConnector implements KvConnector {
  readonly name = 'none';
  readonly waitingMayHoldBlocks = false;
  readonly loadsKv = false;
  readonly leavesAfterPrefill = false;
  admit(): AdmitResult {
    return 'go';
  }
  orderWaiting(): void {}
  noteAdmission(): void {}
  saveOnPreempt(): boolean {
    return false;
  }
  onPromptDone(): void {}
  isBusy(_r: RequestState): boolean {
    return false;
  }
}
