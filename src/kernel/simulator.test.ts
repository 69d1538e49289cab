import { describe, expect, it } from 'vitest';
import { Simulator } from './simulator.js';
import { RandomStreams } from './random.js';

describe('Simulator', () => {
  it('orders events by time, then priority, then insertion order', () => {
    const sim = new Simulator();
    const log: string[] = [];
    sim.schedule(2, () => log.push('t2'));
    sim.schedule(1, () => log.push('t1-p1-a'), 1);
    sim.schedule(1, () => log.push('t1-p0'), 0);
    sim.schedule(1, () => log.push('t1-p1-b'), 1);
    sim.run();
    expect(log).toEqual(['t1-p0', 't1-p1-a', 't1-p1-b', 't2']);
    expect(sim.now).toBe(2);
  });

  it('runs zero-delay events through the queue, after events already due at the same time', () => {
    const sim = new Simulator();
    const log: string[] = [];
    sim.schedule(1, () => {
      log.push('a');
      sim.schedule(0, () => log.push('a-child'));
    });
    sim.schedule(1, () => log.push('b'));
    sim.run();
    expect(log).toEqual(['a', 'b', 'a-child']);
  });

  it('skips cancelled events and stops at the horizon', () => {
    const sim = new Simulator();
    const log: number[] = [];
    const h = sim.schedule(1, () => log.push(1));
    sim.schedule(2, () => log.push(2));
    sim.schedule(5, () => log.push(5));
    h.cancel();
    sim.run(3);
    expect(log).toEqual([2]);
    expect(sim.now).toBe(3);
    expect(sim.eventsProcessed).toBe(1);
  });

  it('can leave the clock at the last event run instead of the horizon', () => {
    const sim = new Simulator();
    sim.schedule(1, () => {});
    sim.schedule(5, () => {});
    sim.run(3, true);
    expect(sim.now).toBe(1);
    sim.run(10, true);
    expect(sim.now).toBe(5);
    expect(sim.eventsProcessed).toBe(2);
  });

  it('rejects negative delays with the value in the message', () => {
    expect(() => new Simulator().schedule(-1, () => {})).toThrow(/-1/);
  });
});

describe('Simulator lanes', () => {
  // The same pseudo-random schedule (times on a coarse grid, so ties in time and priority occur),
  // once all in the main queue and once with every third event in a lane: the run order must be the
  // same, since lanes share the [time, priority, seq] order.
  it('run events in the same order as one queue, ties included', () => {
    const order = (useLane: boolean) => {
      const sim = new Simulator();
      const lane = sim.lane(0.5);
      const log: number[] = [];
      let x = 12345;
      const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
      for (let i = 0; i < 300; i++) {
        const t = Math.floor(rnd() * 20) / 4;
        const p = Math.floor(rnd() * 2);
        const q = useLane && i % 3 === 0 ? lane : sim;
        q.scheduleAt(t, () => {
          log.push(i);
          // Children scheduled from inside, in both queues.
          if (i % 7 === 0) (useLane ? lane : sim).scheduleAt(sim.now, () => log.push(1000 + i), 0);
          if (i % 11 === 0) sim.scheduleAt(sim.now + 0.25, () => log.push(2000 + i), 1);
        }, p);
      }
      sim.run();
      return log;
    };
    const plain = order(false);
    expect(plain).toHaveLength(300 + 43 + 28);
    expect(order(true)).toEqual(plain);
  });

  it('give a horizon at a lane event plus its lead, or the next main-queue event if sooner', () => {
    const sim = new Simulator();
    const lane = sim.lane(0.5);
    expect(sim.peekHorizon()).toBe(Infinity);
    const a = lane.scheduleAt(1, () => {});
    sim.scheduleAt(2, () => {});
    expect(sim.peekTime()).toBe(1);
    expect(sim.peekHorizon()).toBe(1.5);
    sim.scheduleAt(1.2, () => {});
    expect(sim.peekHorizon()).toBe(1.2);
    sim.run(1.3, true);
    expect(sim.peekHorizon()).toBe(2);
    // A cancelled lane event no longer bounds the horizon.
    const b = lane.scheduleAt(1.4, () => {});
    expect(sim.peekHorizon()).toBe(1.9);
    b.cancel();
    expect(sim.peekHorizon()).toBe(2);
    expect(sim.peekTime()).toBe(2);
    expect(sim.pending).toBe(1); // the event at 2 (the cancelled one was dropped when peeked)
    expect(a.timeS).toBe(1);
    expect(() => sim.lane(0)).toThrow(/lead 0/);
  });
});

describe('RandomStreams', () => {
  it('gives the same sequence for the same seed and name, independent streams per name', () => {
    const a = new RandomStreams(7).stream('arrivals');
    const b = new RandomStreams(7).stream('arrivals');
    const c = new RandomStreams(7).stream('lengths');
    const xs = [a.next(), a.next(), a.next()];
    expect([b.next(), b.next(), b.next()]).toEqual(xs);
    expect(c.next()).not.toBe(xs[0]);
  });

  it('draws exponentials and gammas with the right mean', () => {
    const r = new RandomStreams(1).stream('x');
    const n = 50000;
    let sumE = 0;
    let sumG = 0;
    for (let i = 0; i < n; i++) {
      sumE += r.exponential(2);
      sumG += r.gamma(0.5, 4);
    }
    expect(sumE / n).toBeGreaterThan(1.95);
    expect(sumE / n).toBeLessThan(2.05);
    expect(sumG / n).toBeGreaterThan(1.9); // shape*scale = 2
    expect(sumG / n).toBeLessThan(2.1);
  });
});
