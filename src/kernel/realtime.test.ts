import { describe, expect, it } from 'vitest';
import { RealtimeDriver, type WallClock } from './realtime.js';
import { Simulator } from './simulator.js';

/** A manual clock: timers fire only when the test advances time. */
class FakeClock implements WallClock {
  t = 1000;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  nowMs(): number {
    return this.t;
  }
  setTimer(fn: () => void, delayMs: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + delayMs, fn });
    return id;
  }
  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  get armed(): number {
    return this.timers.size;
  }
  /** Advances to `toMs`, firing due timers in order (a timer may arm another). */
  advanceTo(toMs: number): void {
    for (;;) {
      let best: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= toMs && (best === undefined || e[1].at < best[1].at)) best = e;
      if (best === undefined) break;
      this.timers.delete(best[0]);
      this.t = Math.max(this.t, best[1].at);
      best[1].fn();
    }
    this.t = toMs;
  }
}

describe('RealtimeDriver', () => {
  it('runs events when the wall clock reaches their simulated time', () => {
    const sim = new Simulator();
    const clock = new FakeClock();
    const log: [string, number][] = [];
    sim.schedule(0.5, () => log.push(['a', sim.now]));
    sim.schedule(1.5, () => log.push(['b', sim.now]));
    const driver = new RealtimeDriver(sim, { clock });
    driver.start();
    clock.advanceTo(1490);
    expect(log).toEqual([]);
    clock.advanceTo(1600);
    expect(log).toEqual([['a', 0.5]]);
    clock.advanceTo(2600);
    expect(log).toEqual([
      ['a', 0.5],
      ['b', 1.5],
    ]);
    expect(clock.armed).toBe(0);
  });

  it('injects outside input at the current simulated time, scaled by speed', () => {
    const sim = new Simulator();
    const clock = new FakeClock();
    const driver = new RealtimeDriver(sim, { clock, speed: 2 });
    driver.start();
    clock.advanceTo(1250); // 0.25 wall s = 0.5 sim s
    const seen: number[] = [];
    driver.inject(() => {
      seen.push(sim.now);
      sim.schedule(1, () => seen.push(sim.now)); // due at 1.5 sim s = 0.75 wall s
    });
    expect(seen).toEqual([0.5]);
    clock.advanceTo(1740);
    expect(seen).toEqual([0.5]);
    clock.advanceTo(1750);
    expect(seen).toEqual([0.5, 1.5]);
  });

  it('does not let a late timer shift later events', () => {
    const sim = new Simulator();
    const clock = new FakeClock();
    const times: number[] = [];
    const tick = (): void => {
      times.push(sim.now);
      if (times.length < 3) sim.schedule(0.1, tick);
    };
    sim.schedule(0.1, tick);
    const driver = new RealtimeDriver(sim, { clock });
    driver.start();
    // Jump straight past all three: they run at their own sim times, not at the late wall time.
    clock.advanceTo(1500);
    expect(times.map((t) => Math.round(t * 1000))).toEqual([100, 200, 300]);
    expect(driver.simNowS()).toBeCloseTo(0.5);
  });

  it('re-arms when an injected event adds something earlier than the armed timer', () => {
    const sim = new Simulator();
    const clock = new FakeClock();
    const log: number[] = [];
    sim.schedule(10, () => log.push(sim.now));
    const driver = new RealtimeDriver(sim, { clock });
    driver.start();
    driver.inject(() => sim.schedule(0.2, () => log.push(sim.now)));
    clock.advanceTo(1300);
    expect(log).toEqual([0.2]);
    driver.stop();
    expect(clock.armed).toBe(0);
  });

  it('follows the real clock with short real waits', async () => {
    const sim = new Simulator();
    const driver = new RealtimeDriver(sim, { speed: 1 });
    const firedAtMs: number[] = [];
    const t0 = performance.now();
    driver.start();
    driver.inject(() => sim.schedule(0.03, () => firedAtMs.push(performance.now() - t0)));
    await new Promise((r) => setTimeout(r, 80));
    driver.stop();
    expect(firedAtMs.length).toBe(1);
    // libuv timers count whole milliseconds from the loop's cached clock, so one can fire up to
    // ~1-2 ms before 30 ms of performance.now() (28.76 ms seen on a loaded machine).
    expect(firedAtMs[0]!).toBeGreaterThanOrEqual(27);
    expect(firedAtMs[0]!).toBeLessThan(70);
  });

  it('rejects a non-positive speed', () => {
    expect(() => new RealtimeDriver(new Simulator(), { speed: 0 })).toThrow(/speed/);
  });
});
