/**
 * The discrete-event kernel: a clock and an event queue ordered by [time, priority, seq].
 *
 * It knows nothing of what it simulates. Every event, zero-delay ones included, goes through the
 * queue so causality never depends on call order; `seq` breaks remaining ties the same way on
 * every run (fastpriorityqueue is not a stable heap).
 *
 * Lanes (`lane(leadS)`) hold events that promise a lookahead, as in conservative parallel
 * discrete-event simulation (Chandy & Misra 1979; Fujimoto, "Parallel and Distributed Simulation
 * Systems", 2000, ch. 3): such an event acts on the rest of the model only through events it
 * schedules at least `leadS` after itself, or through further events of its lane. `peekHorizon()`
 * is then the earliest time any pending event can act outside its lane, so a component that
 * computes ahead (a stretch of work in closed form) may run up to it, past lane events that fall
 * due sooner. Lanes share the sequence counter, so events run in the same [time, priority, seq]
 * order as if they were in one queue.
 */
import FastPriorityQueue from 'fastpriorityqueue';

export type Callback = () => void;

/** A handle to cancel a scheduled event (lazy deletion: it stays queued but does nothing). */
export interface EventHandle {
  readonly timeS: number;
  cancel(): void;
}

// A class rather than a closure per event: the hot path allocates one object and nothing else.
class QueuedEvent implements EventHandle {
  cancelled = false;
  constructor(
    readonly timeS: number,
    readonly priority: number,
    readonly seq: number,
    readonly fn: Callback,
  ) {}
  cancel(): void {
    this.cancelled = true;
  }
}

const before = (a: QueuedEvent, b: QueuedEvent): boolean =>
  a.timeS < b.timeS || (a.timeS === b.timeS && (a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq)));

/** Events of one lookahead (see the module comment). */
export interface EventLane {
  readonly leadS: number;
  /** Schedules `fn` at absolute time `timeS` (not before now) in this lane. */
  scheduleAt(timeS: number, fn: Callback, priority?: number): EventHandle;
}

class Lane implements EventLane {
  readonly queue = new FastPriorityQueue<QueuedEvent>(before);
  constructor(private readonly sim: Simulator, readonly leadS: number) {}
  scheduleAt(timeS: number, fn: Callback, priority = 0): EventHandle {
    return this.sim.enqueue(this.queue, timeS, fn, priority);
  }
}

/** Earliest live event of `q` (cancelled ones at its top are dropped), or undefined. */
function liveTop(q: FastPriorityQueue<QueuedEvent>): QueuedEvent | undefined {
  for (;;) {
    const top = q.peek();
    if (top === undefined || !top.cancelled) return top;
    q.poll();
  }
}

export class Simulator {
  private readonly queue = new FastPriorityQueue<QueuedEvent>(before);
  private readonly lanes: Lane[] = [];
  private nowS = 0;
  private nextSeq = 0;
  private processed = 0;
  private stopped = false;

  /** Current simulated time in seconds. */
  get now(): number {
    return this.nowS;
  }

  /** Events executed so far (cancelled ones excluded). */
  get eventsProcessed(): number {
    return this.processed;
  }

  get pending(): number {
    let n = this.queue.size;
    for (const l of this.lanes) n += l.queue.size;
    return n;
  }

  /** A new lane whose events promise `leadS` seconds of lookahead (see the module comment). */
  lane(leadS: number): EventLane {
    if (!(leadS > 0 && Number.isFinite(leadS))) throw new RangeError(`Invalid lane lead ${leadS}`);
    const l = new Lane(this, leadS);
    this.lanes.push(l);
    return l;
  }

  /** Events scheduled so far: unchanged between two reads means nothing was scheduled in between. */
  get scheduledCount(): number {
    return this.nextSeq;
  }

  /** Schedules `fn` after `delayS` seconds; lower `priority` runs first among events at the same time. */
  schedule(delayS: number, fn: Callback, priority = 0): EventHandle {
    if (!(delayS >= 0)) throw new RangeError(`Negative or invalid delay ${delayS}`);
    return this.scheduleAt(this.nowS + delayS, fn, priority);
  }

  /** Schedules `fn` at absolute time `timeS` (not before now). */
  scheduleAt(timeS: number, fn: Callback, priority = 0): EventHandle {
    return this.enqueue(this.queue, timeS, fn, priority);
  }

  /** @internal Adds an event to `q` (the main queue or a lane's). */
  enqueue(q: FastPriorityQueue<QueuedEvent>, timeS: number, fn: Callback, priority: number): EventHandle {
    if (!(timeS >= this.nowS)) throw new RangeError(`Cannot schedule at ${timeS}, before now (${this.nowS})`);
    const ev = new QueuedEvent(timeS, priority, this.nextSeq++, fn);
    q.add(ev);
    return ev;
  }

  /** Asks `run` to return after the current event. */
  stop(): void {
    this.stopped = true;
  }

  /** Time of the next live event, or Infinity. */
  peekTime(): number {
    return this.earliest(false);
  }

  /**
   * Earliest time at which a pending event can act outside its lane: the next main-queue event, or
   * a lane's next event plus its lead. Infinity when nothing is pending. Equals peekTime() without lanes.
   */
  peekHorizon(): number {
    return this.earliest(true);
  }

  /** Earliest live event time over the main queue and the lanes, each lane's plus its lead when `withLead`. */
  private earliest(withLead: boolean): number {
    let t = liveTop(this.queue)?.timeS ?? Infinity;
    for (const l of this.lanes) {
      const top = liveTop(l.queue);
      if (top === undefined) continue;
      const atS = withLead ? top.timeS + l.leadS : top.timeS;
      if (atS < t) t = atS;
    }
    return t;
  }

  /** The queue holding the next event in [time, priority, seq] order (lanes included), or undefined. */
  private nextQueue(): FastPriorityQueue<QueuedEvent> | undefined {
    let q: FastPriorityQueue<QueuedEvent> | undefined = this.queue;
    let top = q.peek();
    if (top === undefined) q = undefined;
    const lanes = this.lanes;
    for (let i = 0; i < lanes.length; i++) {
      const lt = lanes[i]!.queue.peek();
      if (lt !== undefined && (top === undefined || before(lt, top))) {
        top = lt;
        q = lanes[i]!.queue;
      }
    }
    return q;
  }

  /**
   * Runs events until the queue is empty, `untilS` is passed, or `stop()` is called. The clock then
   * reads `untilS` (a real-time driver's horizon) unless `holdClock`, which leaves it at the last
   * event run: a batch run cut into slices ends at its last event, not at a slice boundary.
   */
  run(untilS = Infinity, holdClock = false): void {
    this.stopped = false;
    const single = this.lanes.length === 0;
    while (!this.stopped) {
      const q = single ? this.queue : this.nextQueue();
      const top = q?.peek();
      if (q === undefined || top === undefined || top.timeS > untilS) break;
      q.poll();
      if (top.cancelled) continue;
      this.nowS = top.timeS;
      this.processed++;
      top.fn();
    }
    if (!holdClock && untilS !== Infinity && !this.stopped && untilS > this.nowS) this.nowS = untilS;
  }
}
