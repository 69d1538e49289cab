/**
 * Runs a Simulator in lock-step with the wall clock, for servers whose answers are timed by the
 * simulation (sim seconds = wall seconds x speed). Between events the driver sleeps on a timer
 * armed for the next event time; outside input (a request arriving over HTTP) is injected at the
 * current simulated time with `inject`.
 *
 * Sim time is anchored to the wall clock, not to when timers fire: a late timer runs its events
 * late (by the timer's jitter) but does not shift the events after it, so lateness never accumulates.
 * Like the kernel, this knows nothing of what is simulated.
 */
import type { Callback, Simulator } from './simulator.js';

/** The clock and timers the driver uses; tests pass a fake one. */
export interface WallClock {
  /** Monotonic milliseconds. */
  nowMs(): number;
  setTimer(fn: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: WallClock = {
  nowMs: () => performance.now(),
  setTimer: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RealtimeOptions {
  /** Simulated seconds per wall second (2 = twice as fast as real time). Default 1. */
  speed?: number;
  clock?: WallClock;
}

export class RealtimeDriver {
  private readonly speed: number;
  private readonly clock: WallClock;
  private anchorWallMs = 0;
  private anchorSimS = 0;
  private timer: unknown = undefined;
  private timerAtS = Infinity;
  private running = false;
  private started = false;
  private advancing = false;

  constructor(
    private readonly sim: Simulator,
    options: RealtimeOptions = {},
  ) {
    const speed = options.speed ?? 1;
    if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be a positive number, got ${speed}`);
    this.speed = speed;
    this.clock = options.clock ?? systemClock;
  }

  /** Anchors sim time `sim.now` to the wall clock's present and starts following it. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.running = true;
    this.anchorWallMs = this.clock.nowMs();
    this.anchorSimS = this.sim.now;
    this.advance();
  }

  /** Stops the timer; pending events stay queued and run if the driver is started again. */
  stop(): void {
    this.running = false;
    this.started = false;
    this.disarm();
  }

  /** The simulated time that corresponds to the wall clock's present. */
  simNowS(): number {
    if (!this.started) return this.sim.now;
    return this.anchorSimS + ((this.clock.nowMs() - this.anchorWallMs) / 1000) * this.speed;
  }

  /** Wall-clock milliseconds from now until simulated time `timeS` (negative if past). */
  wallDelayMs(timeS: number): number {
    return ((timeS - this.simNowS()) / this.speed) * 1000;
  }

  /**
   * Runs `fn` at the current simulated time, through the queue (so it is ordered after events that
   * are already due, as in the kernel). Runs it synchronously unless called from inside an event.
   */
  inject(fn: Callback, priority = 0): void {
    if (!this.started) throw new Error('RealtimeDriver.inject called before start()');
    if (this.advancing) {
      // Called from an event callback: the loop in advance() picks it up.
      this.sim.schedule(0, fn, priority);
      return;
    }
    this.catchUp();
    this.sim.schedule(0, fn, priority);
    this.advance();
  }

  /**
   * Runs every event due by now, then sleeps until the next one. `dueS` is the time the firing
   * timer was armed for: it counts as due even if the clock reads a hair earlier (timers may fire
   * up to 1 ms early, and float rounding), otherwise the driver would spin on zero-delay timers.
   */
  private advance(dueS = -Infinity): void {
    if (!this.running) return;
    this.catchUp(dueS);
    this.arm();
  }

  private catchUp(dueS = -Infinity): void {
    this.advancing = true;
    try {
      // Loop because events may schedule zero-delay events while wall time moves on.
      for (;;) {
        const targetS = Math.max(this.simNowS(), this.sim.now, dueS);
        this.sim.run(targetS);
        if (!(this.sim.peekTime() <= this.sim.now)) break;
      }
    } finally {
      this.advancing = false;
    }
  }

  private arm(): void {
    const nextS = this.sim.peekTime();
    if (nextS === this.timerAtS && this.timer !== undefined) return;
    this.disarm();
    if (nextS === Infinity) return;
    this.timerAtS = nextS;
    this.timer = this.clock.setTimer(
      () => {
        this.timer = undefined;
        this.timerAtS = Infinity;
        this.advance(nextS);
      },
      Math.max(0, this.wallDelayMs(nextS)),
    );
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerAtS = Infinity;
  }
}
