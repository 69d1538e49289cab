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
