/**
 * The discrete-event kernel: a clock and an event queue ordered by [time, priority, seq].
 *
 * It knows nothing of what it simulates. Every event, zero-delay ones included, goes through the
 * queue so causality never depends on call order; `seq` breaks remaining ties the same way on
 * every run (fastpriorityqueue is not a stable heap).
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

export class Simulator {
  private readonly queue = new FastPriorityQueue<QueuedEvent>(before);
  private nowS = 0;
  private nextSeq = 0;
  private processed = 0;
  private stopped = false;
  private runningPriority = Infinity;

  /** Current simulated time in seconds. */
  get now(): number {
    return this.nowS;
  }

  /** Events executed so far (cancelled ones excluded). */
  get eventsProcessed(): number {
    return this.processed;
  }

  /**
   * Priority of the event being run, Infinity between events: a caller that applies work computed
   * ahead (materialize on read) uses it to tell whether work due at this very instant would already
   * have run, i.e. whether its priority is below this event's.
   */
  get currentPriority(): number {
    return this.runningPriority;
  }

  get pending(): number {
    return this.queue.size;
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
    if (!(timeS >= this.nowS)) throw new RangeError(`Cannot schedule at ${timeS}, before now (${this.nowS})`);
    const ev = new QueuedEvent(timeS, priority, this.nextSeq++, fn);
    this.queue.add(ev);
    return ev;
  }

  /** Asks `run` to return after the current event. */
  stop(): void {
    this.stopped = true;
  }

  /** Time of the next live event, or Infinity. */
  peekTime(): number {
    for (;;) {
      const top = this.queue.peek();
      if (top === undefined) return Infinity;
      if (!top.cancelled) return top.timeS;
      this.queue.poll();
    }
  }

  /**
   * Runs events until the queue is empty, `untilS` is passed, or `stop()` is called. The clock then
   * reads `untilS` (a real-time driver's horizon) unless `holdClock`, which leaves it at the last
   * event run: a batch run cut into slices ends at its last event, not at a slice boundary.
   */
  run(untilS = Infinity, holdClock = false): void {
    this.stopped = false;
    while (!this.stopped) {
      const top = this.queue.peek();
      if (top === undefined || top.timeS > untilS) break;
      this.queue.poll();
      if (top.cancelled) continue;
      this.nowS = top.timeS;
      this.processed++;
      this.runningPriority = top.priority;
      top.fn();
    }
    this.runningPriority = Infinity;
    if (!holdClock && untilS !== Infinity && !this.stopped && untilS > this.nowS) this.nowS = untilS;
  }
}
