/** Base of the P/D role connectors: everything is the inner connector's (none, or tiers on that pool). */
import type { RequestState } from '../request-state.js';
import type { AdmitResult, KvConnector } from './types.js';

export abstract class WrappingKvConnector implements KvConnector {
  abstract readonly name: string;
  constructor(readonly inner: KvConnector) {}
  get waitingMayHoldBlocks(): boolean {
    return this.inner.waitingMayHoldBlocks;
  }
  get loadsKv(): boolean {
    return this.inner.loadsKv;
  }
  get leavesAfterPrefill(): boolean {
    return this.inner.leavesAfterPrefill;
  }
  admit(r: RequestState, budget: number): AdmitResult {
    return this.inner.admit(r, budget);
  }
  orderWaiting(waiting: RequestState[]): void {
    this.inner.orderWaiting(waiting);
  }
  noteAdmission(numTokens: number, gpuHitBlocks: number): void {
    this.inner.noteAdmission(numTokens, gpuHitBlocks);
  }
  saveOnPreempt(victim: RequestState, blocks: number): boolean {
    return this.inner.saveOnPreempt(victim, blocks);
  }
  onPromptDone(r: RequestState): void {
    this.inner.onPromptDone(r);
  }
  isBusy(r: RequestState): boolean {
    return this.inner.isBusy(r);
  }
}
