/**
 * A deployment: pools of engine instances behind a router. A colocated pool serves whole
 * requests; disaggregated pools are wired by src/serving/disagg (prefill -> KV transfer -> decode).
 */
import type { RequestSpec } from './types.js';

export interface Deployment {
  /** A request arrives now (the caller schedules arrivals). */
  submit(spec: RequestSpec): void;
}
