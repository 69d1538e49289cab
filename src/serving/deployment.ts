/**
 * A deployment: pools of engine instances behind a router. `ColocatedDeployment`
 * (colocated-deployment.ts) serves whole requests on replicas; `PdDeployment` (disagg/) splits them
 * into a prefill leg, a KV transfer and a decode leg. Both are plain classes built by the
 * composition root (src/scenario/build/) and testable without a scenario.
 */
import type { EngineInstance } from './instance.js';
import { NO_BLOCK_KEYS, RequestState } from './request-state.js';
import type { RequestSpec } from './types.js';

export interface Deployment {
  /** Every engine instance, in pool order. */
  readonly instances: readonly EngineInstance[];
  /** A request arrives now (the caller schedules arrivals). */
  submit(spec: RequestSpec): void;
  /**
   * A decode leg whose prompt KV was computed elsewhere (a P/D proxy in front of `pdsim serve`):
   * it joins a decode-capable instance with its prompt KV reserved and samples its first token with
   * a 1-token step; with no room for the KV it is prefilled locally, as vLLM falls back to recompute.
   */
  submitDecodeLeg(spec: RequestSpec): void;
  /** Stops request `id` wherever it is and frees what it holds; false when it is not (or no longer) inside. */
  abort(id: number): boolean;
  /** Requests aborted so far (typed counter for `vllm:request_success_total{finished_reason="abort"}`). */
  readonly abortedCount: number;
  /**
   * Seconds for which a submit acts on no engine (an API server's hand-off delay), 0 or absent when
   * it acts at once: the caller may schedule sends in a kernel lane with this lead (Simulator.lane).
   */
  readonly submitLeadS?: number;
}

/**
 * Admits a decode leg on the first of `candidates` that can reserve its prompt KV; false when none
 * can. As vLLM's decode side, it makes every output token itself: its first is sampled by a 1-token
 * recompute step over the pulled KV (the prefill side's single token is discarded by the proxy).
 */
export function admitDecodeLeg(spec: RequestSpec, candidates: readonly EngineInstance[], _nowS: number): boolean {
  for (const inst of candidates) {
    const st = new RequestState(spec, NO_BLOCK_KEYS);
    if (inst.reserveForRemote(st)) {
      inst.admitRemote(st);
      return true;
    }
  }
  return false;
}

/** Sum of the instances' abort counters. */
export function abortedOf(instances: readonly EngineInstance[]): number {
  let n = 0;
  for (const i of instances) n += i.aborted;
  return n;
}
