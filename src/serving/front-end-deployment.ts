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
  /**
   * Requests inside the front end, oldest first, from `head`: every one waits the same requestMs
   * after a send in time order, so they leave in the order they came (FIFO), and one bound callback
   * serves every hand-off (no closure or set entry per request).
   */
  private readonly specs: RequestSpec[] = [];
  private readonly legs: boolean[] = [];
  private head = 0;
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
    if (this.requestMs <= 0) this.inner.submit(spec);
    else this.after(spec, false);
  }

  submitDecodeLeg(spec: RequestSpec): void {
    if (this.requestMs <= 0) this.inner.submitDecodeLeg(spec);
    else this.after(spec, true);
  }

  abort(id: number): boolean {
    for (let i = this.head; i < this.specs.length; i++) {
      if (this.specs[i]!.id === id) {
        this.abortedEarly.add(id);
        return true;
      }
    }
    return this.inner.abort(id);
  }

  private after(spec: RequestSpec, leg: boolean): void {
    // Dropped from the front of the queue only now and then: shifting per request would be O(n).
    if (this.head >= 1024) {
      this.specs.splice(0, this.head);
      this.legs.splice(0, this.head);
      this.head = 0;
    }
    this.specs.push(spec);
    this.legs.push(leg);
    this.sim.schedule(this.requestMs / 1000, this.handOff);
  }

  /** Bound once: the oldest request in the front end reaches the engines. */
  private readonly handOff = (): void => {
    const spec = this.specs[this.head]!;
    const leg = this.legs[this.head]!;
    this.head++;
    if (leg) this.inner.submitDecodeLeg(spec);
    else this.inner.submit(spec);
    if (this.abortedEarly.size > 0 && this.abortedEarly.delete(spec.id)) this.inner.abort(spec.id);
  };
}
