import { describe, expect, it } from 'vitest';
import { Simulator } from '../kernel/simulator.js';
import { RandomStreams } from '../kernel/random.js';
import { FlowNetwork, type ChannelSegment } from './flow-network.js';

const GB = 1e9;

function setup(channels: Record<string, number>): { sim: Simulator; net: FlowNetwork; segments: ChannelSegment[] } {
  const sim = new Simulator();
  const segments: ChannelSegment[] = [];
  const net = new FlowNetwork(sim, { onSegment: (s) => segments.push(s) });
  for (const [id, gbps] of Object.entries(channels)) net.addChannel(id, gbps * GB);
  return { sim, net, segments };
}

describe('FlowNetwork', () => {
  it('gives two equal flows half the link each', () => {
    const { sim, net } = setup({ link: 10 });
    const done: Record<string, number> = {};
    for (const tag of ['a', 'b']) net.startFlow({ path: ['link'], bytes: 1 * GB, tag, onDone: (f) => (done[f.tag] = sim.now) });
    sim.run();
    expect(done.a).toBeCloseTo(0.2, 12);
    expect(done.b).toBeCloseTo(0.2, 12);
  });

  it('speeds the survivor up when the other flow ends', () => {
    const { sim, net } = setup({ link: 10 });
    const done: Record<string, number> = {};
    const small = net.startFlow({ path: ['link'], bytes: 0.5 * GB, tag: 'small', onDone: (f) => (done[f.tag] = sim.now) });
    const big = net.startFlow({ path: ['link'], bytes: 1 * GB, tag: 'big', onDone: (f) => (done[f.tag] = sim.now) });
    expect(small.rateBytesPerS()).toBeCloseTo(5 * GB, 3);
    sim.run(0.1 - 1e-9);
    expect(big.rateBytesPerS()).toBeCloseTo(5 * GB, 3);
    sim.run();
    // Small: 0.5 GB at 5 GB/s = 0.1 s. Big: 0.5 GB by then, the other 0.5 GB at 10 GB/s = 0.05 s more.
    expect(done.small).toBeCloseTo(0.1, 12);
    expect(done.big).toBeCloseTo(0.15, 12);
    expect(net.channelStats('link').bytesCarried).toBeCloseTo(1.5 * GB, 0);
    expect(net.channelStats('link').busyS).toBeCloseTo(0.15, 12);
  });

  it('starts moving bytes only after the path latency', () => {
    const { sim, net, segments } = setup({ link: 10 });
    let doneS = -1;
    const f = net.startFlow({ path: ['link'], bytes: 1 * GB, latencyS: 0.01, onDone: () => (doneS = sim.now) });
    sim.run(0.005);
    expect(f.state).toBe('waiting');
    expect(f.rateBytesPerS()).toBe(0);
    sim.run();
    expect(doneS).toBeCloseTo(0.11, 12);
    expect(segments[0]).toMatchObject({ channelId: 'link', startS: 0.01, bytes: 1 * GB });
    expect(segments[0]!.endS).toBeCloseTo(0.11, 12);
  });

  it('lowers both directions of a duplex link to the bidirectional rate while both are busy', () => {
    const { sim, net } = setup({ h2d: 25, d2h: 25 });
    net.coupleDuplex('h2d', 'd2h', 13 * GB);
    const done: Record<string, number> = {};
    const up = net.startFlow({ path: ['h2d'], bytes: 2.6 * GB, tag: 'up', onDone: (f) => (done[f.tag] = sim.now) });
    expect(up.rateBytesPerS()).toBeCloseTo(25 * GB, 3);
    net.startFlow({ path: ['d2h'], bytes: 1.3 * GB, tag: 'down', onDone: (f) => (done[f.tag] = sim.now) });
    expect(up.rateBytesPerS()).toBeCloseTo(13 * GB, 3);
    expect(net.channelStats('h2d').effectiveCapacityBytesPerS).toBe(13 * GB);
    sim.run();
    // Both at 13 GB/s: down ends at 0.1 s; up has 1.3 GB left, now alone at 25 GB/s: 0.052 s more.
    expect(done.down).toBeCloseTo(0.1, 12);
    expect(done.up).toBeCloseTo(0.152, 12);
  });

  it('is bottlenecked by the slowest channel of its path, and by its own cap', () => {
    const { sim, net } = setup({ fast: 25, slow: 12 });
    const f = net.startFlow({ path: ['fast', 'slow'], bytes: 1.2 * GB });
    const pageable = net.startFlow({ path: ['fast'], bytes: 1 * GB, rateCapBytesPerS: 4 * GB });
    expect(f.rateBytesPerS()).toBeCloseTo(12 * GB, 3);
    expect(pageable.rateBytesPerS()).toBeCloseTo(4 * GB, 3);
    sim.run();
    expect(net.channelStats('fast').peakLoadBytesPerS).toBeCloseTo(16 * GB, 3);
  });

  it('shares max-min fairly across a two-link path (hand computed)', () => {
    // A (10 GB/s) -> B (4 GB/s). f1 crosses A and B, f2 only A, f3 only B.
    // B is the tightest: 4/2 = 2 each for f1, f3. Then A has 10 - 2 = 8 left for f2 alone.
    const { net } = setup({ A: 10, B: 4 });
    const f1 = net.startFlow({ path: ['A', 'B'], bytes: GB });
    const f2 = net.startFlow({ path: ['A'], bytes: GB });
    const f3 = net.startFlow({ path: ['B'], bytes: GB });
    expect(f1.rateBytesPerS() / GB).toBeCloseTo(2, 9);
    expect(f2.rateBytesPerS() / GB).toBeCloseTo(8, 9);
    expect(f3.rateBytesPerS() / GB).toBeCloseTo(2, 9);
  });

  it('charges a channel crossed twice for both crossings', () => {
    const { net } = setup({ dram: 20, other: 100 });
    const bounce = net.startFlow({ path: ['dram', 'dram'], bytes: GB });
    expect(bounce.rateBytesPerS() / GB).toBeCloseTo(10, 9);
  });

  it('cancels a flow, keeping the bytes it already moved, and never calls its onDone', () => {
    const { sim, net } = setup({ link: 10 });
    let called = false;
    const f = net.startFlow({ path: ['link'], bytes: GB, onDone: () => (called = true) });
    const other = net.startFlow({ path: ['link'], bytes: GB });
    sim.schedule(0.1, () => f.cancel());
    sim.run();
    expect(called).toBe(false);
    expect(f.state).toBe('cancelled');
    expect(f.sentBytes()).toBeCloseTo(0.5 * GB, 0);
    expect(other.state).toBe('done');
    // Other: 0.5 GB in the first 0.1 s, then 0.5 GB alone at 10 GB/s.
    expect(sim.now).toBeCloseTo(0.15, 12);
    expect(net.channelStats('link').bytesCarried).toBeCloseTo(1.5 * GB, 0);
  });

  it('finishes zero-byte and unconstrained flows after their latency, through the queue', () => {
    const { sim, net } = setup({});
    const log: number[] = [];
    net.startFlow({ path: [], bytes: GB, latencyS: 0.002, onDone: () => log.push(sim.now) });
    net.startFlow({ path: [], bytes: 0, onDone: () => log.push(sim.now) });
    expect(log).toEqual([]);
    sim.run();
    expect(log).toEqual([0, 0.002]);
  });

  it('names an unknown channel and suggests the closest', () => {
    const { net } = setup({ 'gpu0.pcie.h2d': 25 });
    expect(() => net.startFlow({ path: ['gpu0.pcie.h2c'], bytes: 1 })).toThrow(/gpu0\.pcie\.h2c.*gpu0\.pcie\.h2d/);
  });

  it('keeps bytes sent = bytes received and every channel within capacity over randomized runs', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rng = new RandomStreams(seed).stream('flows');
      const sim = new Simulator();
      const ids = ['a.h2d', 'a.d2h', 'b.h2d', 'b.d2h', 'mem', 'nic'];
      const violations: string[] = [];
      const net = new FlowNetwork(sim, {
        onRerate: (t) => {
          for (const id of ids) {
            const s = net.channelStats(id);
            if (s.loadBytesPerS > s.effectiveCapacityBytesPerS * (1 + 1e-9)) violations.push(`${id}@${t}`);
          }
        },
      });
      ids.forEach((id) => net.addChannel(id, (1 + rng.next() * 30) * GB));
      net.coupleDuplex('a.h2d', 'a.d2h', 12 * GB);
      net.coupleDuplex('b.h2d', 'b.d2h', 12 * GB);
      const expectedPerChannel = new Map<string, number>(ids.map((id) => [id, 0]));
      let sent = 0;
      let received = 0;
      let started = 0;
      const launch = (): void => {
        const path = ids.filter(() => rng.next() < 0.35);
        if (rng.next() < 0.1) path.push('mem');
        const bytes = Math.floor(rng.next() * 0.2 * GB);
        sent += bytes;
        for (const id of path) expectedPerChannel.set(id, expectedPerChannel.get(id)! + bytes);
        net.startFlow({
          path,
          bytes,
          latencyS: rng.next() < 0.5 ? 0 : rng.next() * 1e-3,
          rateCapBytesPerS: rng.next() < 0.2 ? (1 + rng.next() * 5) * GB : undefined,
          onDone: (f) => {
            received += f.sentBytes();
            expect(f.sentBytes()).toBe(f.bytes);
          },
        });
        if (++started < 2000) sim.schedule(rng.exponential(0.02), launch);
      };
      launch();
      sim.run();
      expect(violations).toEqual([]);
      expect(net.flowsCompleted).toBe(2000);
      expect(received).toBe(sent);
      expect(net.bytesDelivered).toBe(sent);
      for (const id of ids) {
        const s = net.channelStats(id);
        expect(Math.abs(s.bytesCarried - expectedPerChannel.get(id)!)).toBeLessThan(1e-6 * Math.max(1, s.bytesCarried));
        expect(s.utilisationIntegralS).toBeLessThanOrEqual(s.busyS * (1 + 1e-9));
        expect(s.peakLoadBytesPerS).toBeLessThanOrEqual(s.capacityBytesPerS * (1 + 1e-9));
      }
    }
  }, 60_000); // ~2 s alone; a loaded machine makes it many times slower

  it('is deterministic: the same seed gives the same completion times', () => {
    const run = (): number[] => {
      const rng = new RandomStreams(7).stream('flows');
      const { sim, net } = setup({ x: 10, y: 3 });
      const times: number[] = [];
      for (let i = 0; i < 50; i++) {
        sim.schedule(rng.next(), () => {
          net.startFlow({ path: rng.next() < 0.5 ? ['x'] : ['x', 'y'], bytes: rng.next() * GB, onDone: () => times.push(sim.now) });
        });
      }
      sim.run();
      return times;
    };
    expect(run()).toEqual(run());
  });

  it('solo flows in closed form give the allocation path\'s completion times and channel totals, with fewer events', () => {
    const run = (solo: boolean) => {
      const rng = new RandomStreams(11).stream('flows');
      const sim = new Simulator();
      const net = new FlowNetwork(sim, {}, 0, solo);
      const ids = ['a.h2d', 'a.d2h', 'b.h2d', 'b.d2h', 'mem'];
      ids.forEach((id) => net.addChannel(id, (5 + rng.next() * 30) * GB));
      net.coupleDuplex('a.h2d', 'a.d2h', 12 * GB);
      const doneS: number[] = [];
      let started = 0;
      const launch = (): void => {
        const i = started++;
        const path = ids.filter(() => rng.next() < 0.3);
        if (path.length === 0) path.push('mem');
        // Sparse arrivals (most flows alone, the solo case) with bursts (sharing, materialization).
        const f = net.startFlow({ path, bytes: Math.floor(rng.next() * 0.05 * GB), latencyS: rng.next() < 0.3 ? 0 : rng.next() * 2e-3, onDone: () => (doneS[i] = sim.now) });
        if (rng.next() < 0.02) sim.schedule(rng.next() * 1e-3, () => f.cancel());
        if (started < 3000) sim.schedule(rng.next() < 0.2 ? rng.next() * 1e-3 : rng.exponential(0.05), launch);
      };
      launch();
      sim.run();
      return { doneS, events: sim.eventsProcessed, stats: ids.map((id) => net.channelStats(id)), completed: net.flowsCompleted, delivered: net.bytesDelivered };
    };
    const a = run(true);
    const b = run(false);
    expect(a.events).toBeLessThan(b.events * 0.8);
    expect(a.completed).toBe(b.completed);
    expect(a.delivered).toBe(b.delivered);
    expect(a.doneS.length).toBe(b.doneS.length);
    let identical = 0;
    for (let i = 0; i < b.doneS.length; i++) {
      if (b.doneS[i] === undefined) {
        expect(a.doneS[i]).toBeUndefined();
        continue;
      }
      if (a.doneS[i] === b.doneS[i]) identical++;
      expect(Math.abs(a.doneS[i]! - b.doneS[i]!)).toBeLessThanOrEqual(1e-12 * b.doneS[i]!);
    }
    expect(identical).toBeGreaterThan(b.doneS.length / 2);
    for (let c = 0; c < a.stats.length; c++) {
      const x = a.stats[c]!;
      const y = b.stats[c]!;
      expect(x.flowsCarried).toBe(y.flowsCarried);
      expect(x.peakLoadBytesPerS).toBe(y.peakLoadBytesPerS);
      for (const k of ['bytesCarried', 'busyS', 'utilisationIntegralS'] as const) expect(Math.abs(x[k] - y[k])).toBeLessThanOrEqual(1e-9 * Math.max(1, y[k]));
    }
  }, 60_000);
});
