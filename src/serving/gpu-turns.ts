/**
 * Engine instances sharing one GPU take turns: one iteration at a time, the GPU passing to the
 * instance that has waited longest whenever an iteration ends (round robin at iteration granularity).
 *
 * Why this model: two vLLM processes on one GPU without MPS are two CUDA contexts, and the GPU
 * time-slices between contexts; kernels of different contexts never run at the same time (NVIDIA
 * MPS documentation, "without MPS ... work from different processes is time-sliced"). Each process
 * keeps its own weights and KV cache, so neither speeds the other up. Slicing at iteration
 * granularity instead of the driver's millisecond slices keeps every iteration priced by the perf
 * model as if alone (what a context measures while it holds the GPU) and makes the waiting explicit:
 * a decode step that arrives during a prefill iteration waits for its end. Finer slicing would share
 * the same total busy time differently within an iteration; the sum of busy time is the same.
 *
 * An instance asks before each iteration (`acquire`); when the GPU is held by another, its callback
 * runs once the GPU is handed to it. `release` at an iteration's end (or when it finds no work) hands
 * the GPU to the first waiter, scheduled as an event at the same instant.
 */
import type { Simulator } from '../kernel/simulator.js';
import { EventPriority } from './event-priorities.js';

export class GpuTurns {
  private holder: object | null = null;
  private readonly queue: { who: object; go: () => void }[] = [];
  /** Hand-overs from one instance to another (a waiter got the GPU). */
  handOvers = 0;

  constructor(private readonly sim: Simulator) {}

  /** True when `who` may run an iteration now; otherwise `go` is called when the GPU is handed to it. */
  acquire(who: object, go: () => void): boolean {
    if (this.holder === null) this.holder = who;
    if (this.holder === who) return true;
    if (!this.queue.some((w) => w.who === who)) this.queue.push({ who, go });
    return false;
  }

  /** `who` ended an iteration or found nothing to run: the first waiter, if any, gets the GPU. */
  release(who: object): void {
    if (this.holder !== who) return;
    const next = this.queue.shift();
    this.holder = next?.who ?? null;
    if (next) {
      this.handOvers++;
      this.sim.schedule(0, next.go, EventPriority.iterationEnd);
    }
  }

  /** Some instance waits for the GPU (a decode-only segment must not run past this iteration). */
  get contended(): boolean {
    return this.queue.length > 0;
  }
}
