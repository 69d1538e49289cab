/**
 * The API server in front of a deployment (`vllm serve`): every request reaches the engines
 * `requestMs` after the client sent it (HTTP receive, tokenization, hand-off; the first token's
 * detokenization and SSE write are folded in), so a simulated TTFT is a client's TTFT. The cost
 * and its source are in src/perf/front-end.ts; `pdsim latency` (offline engine) has no front end.
 * A request aborted while still in the front end is handed to the engines and aborted there when
 * its front-end time is up, so it is accounted as every other abort.
 */
import type { Simulator } from '../kernel/simulator.js';
import type { Deployment } from './deployment.js';
import type { EngineInstance } from './instance.js';
import type { RequestSpec } from './types.js';

export class FrontEndDeployment implements Deployment {
  private readonly pending = new Set<number>();
  private readonly abortedEarly = new Set<number>();

  constructor(
    private readonly inner: Deployment,
    private readonly sim: Simulator,
    private readonly requestMs: number,
  ) {}

  get instances(): readonly EngineInstance[] {
    return this.inner.instances;
  }

  get abortedCount(): number {
    return this.inner.abortedCount;
  }

  /** A submit reaches the engines only requestMs later (an abort in between is held here, not there). */
  get submitLeadS(): number {
    return this.requestMs > 0 ? this.requestMs / 1000 : 0;
  }

  submit(spec: RequestSpec): void {
    this.after(spec, () => this.inner.submit(spec));
  }

  submitDecodeLeg(spec: RequestSpec): void {
    this.after(spec, () => this.inner.submitDecodeLeg(spec));
  }

  abort(id: number): boolean {
    if (this.pending.has(id)) {
      this.abortedEarly.add(id);
      return true;
    }
    return this.inner.abort(id);
  }

  private after(spec: RequestSpec, f: () => void): void {
    if (this.requestMs <= 0) {
      f();
      return;
    }
    this.pending.add(spec.id);
    this.sim.schedule(this.requestMs / 1000, () => {
      this.pending.delete(spec.id);
      f();
      if (this.abortedEarly.delete(spec.id)) this.inner.abort(spec.id);
    });
  }
}
