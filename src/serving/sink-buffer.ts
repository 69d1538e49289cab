/**
 * Per-instance fast-forward (fast-forward.ts, planSegment): with several replicas, a decode segment
 * is planned to its own end, past other replicas' events and past hand-offs that go elsewhere; its
 * sink calls are held back (the plan is the buffer: its iteration ends and batch) and made later,
 * in simulated-time order with every other engine's calls, so the metrics see the calls in the
 * order step-by-step simulation makes them. Several figures depend on that order: requests.jsonl is
 * written in finish order, the ITL/TTFT/E2EL means are float sums in call order, and the gauges are
 * sampled by whichever instance first ends an iteration past the shared boundary (`nextGaugeS`).
 *
 * The rule: before a sink call for time t, an engine calls `drain(t)`, which makes every held call
 * of an iteration that ended before t, the earliest first across replicas (a k-way merge over the
 * open plans; ties between two plans go to the one registered first, a call made now before a held
 * one of the same instant: exact ties of float iteration ends across replicas are as arbitrary in
 * the event queue, whose sequence numbers differ between the two modes anyway).
 *
 * One order per simulator (a run's engines share its clock and sink), found through a WeakMap so
 * the composition root needs no change. Planning is on only when the run has two or more engines
 * and every one of them may complete iterations ahead of the clock (EngineInstance.runsAhead) or
 * drains before each of its own calls (EngineInstance.drainsFirst: a P/D prefill or decode engine,
 * whose deployment drains before its own calls too): one replica gains nothing from it, and any
 * other engine makes calls the order does not see.
 */
import type { Simulator } from '../kernel/simulator.js';

/** What the order needs of an engine with a plan: when its next held call falls due, and how to make calls. */
export interface PlanHolder {
  /** End of the plan's next iteration whose calls are held, Infinity when none. */
  planDueS: number;
  /** Whether this engine may plan (every iteration completed ahead of the clock goes through the sink). */
  runsAhead(): boolean;
  /** Whether every sink call this engine makes at the clock comes after a drain at its time. */
  drainsFirst(): boolean;
  /** Makes the held calls of the plan's iterations that end before `beforeS`, at least the next one. */
  flushHeld(beforeS: number): void;
}

export class SinkOrder {
  private readonly holders: PlanHolder[] = [];
  /** null until first asked (the run is built by then), then whether plans are on. */
  private on: boolean | null = null;

  register(h: PlanHolder): void {
    this.holders.push(h);
    this.on = null;
  }

  /** Whether engines of this run plan their segments (see the module comment). */
  planning(): boolean {
    if (this.on === null) this.on = this.holders.length >= 2 && this.holders.every((h) => h.runsAhead() || h.drainsFirst());
    return this.on;
  }

  /** Makes every held call of an iteration that ended before `timeS`, in time order across plans. */
  drain(timeS: number): void {
    if (this.on !== true) return;
    const hs = this.holders;
    const n = hs.length;
    // A number from the start: loop variables started from a parameter are kept boxed by TurboFan,
    // a heap number per update (most of a 16-replica run's allocation, ~190 MB at 50k requests).
    const untilS = +timeS;
    for (;;) {
      let best: PlanHolder | null = null;
      let bestS = untilS;
      let secondS = untilS;
      for (let i = 0; i < n; i++) {
        const d = hs[i]!.planDueS;
        if (d < bestS) {
          secondS = bestS;
          bestS = d;
          best = hs[i]!;
        } else if (d < secondS) secondS = d;
      }
      if (best === null) return;
      // The earliest plan's calls up to the next plan's due time (at least one iteration).
      best.flushHeld(secondS);
    }
  }
}

const orders = new WeakMap<Simulator, SinkOrder>();

/** The order of `sim`'s engines, created on first use. */
export function sinkOrderOf(sim: Simulator): SinkOrder {
  let o = orders.get(sim);
  if (o === undefined) orders.set(sim, (o = new SinkOrder()));
  return o;
}
