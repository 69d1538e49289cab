import { describe, expect, it } from 'vitest';
import { Simulator } from '../kernel/simulator.js';
import { RandomStreams } from '../kernel/random.js';
import { FlowNetwork, type ChannelStats } from './flow-network.js';

const GB = 1e9;
/** gpu->host, host->gpu, disk->host, host->disk: host DRAM's load is at most 25 + 25 + 7 + 5 = 62 GB/s. */
const ROUTES = [['up', 'mem'], ['mem', 'down'], ['dr', 'mem'], ['mem', 'dw']];
const CHANNELS = ['up', 'down', 'mem', 'dr', 'dw'];

function network(free: boolean): { sim: Simulator; net: FlowNetwork } {
  const sim = new Simulator();
  const net = new FlowNetwork(sim);
  for (const [id, gbps] of [['up', 25], ['down', 25], ['mem', 70], ['dr', 7], ['dw', 5]] as const) net.addChannel(id, gbps * GB);
  net.coupleDuplex('up', 'down', 13.5 * GB);
  if (free) net.markNonBinding('mem');
  return { sim, net };
}

interface Outcome {
  doneS: number[];
  reads: ChannelStats[];
  final: ChannelStats[];
  events: number;
}

/** One random script of flows (starts, latencies, caps, cancels, mid-run stats reads) on one network. */
function runScript(seed: number, free: boolean): Outcome {
  const { sim, net } = network(free);
  const rng = new RandomStreams(seed).stream('flows');
  const doneS: number[] = [];
  const reads: ChannelStats[] = [];
  const n = 150;
  for (let i = 0; i < n; i++) {
    const startS = rng.next() * 2;
    const path = ROUTES[rng.intBetween(0, ROUTES.length - 1)]!;
    const bytes = (0.01 + rng.next()) * GB;
    const latencyS = rng.next() < 0.3 ? 0 : rng.next() * 1e-3;
    const cap = rng.next() < 0.2 ? (1 + rng.next() * 10) * GB : undefined;
    const cancelAfterS = rng.next() < 0.15 ? rng.next() * 0.2 : -1;
    doneS.push(NaN);
    sim.scheduleAt(startS, () => {
      const h = net.startFlow({ path, bytes, latencyS, rateCapBytesPerS: cap, onDone: () => (doneS[i] = sim.now) });
      if (cancelAfterS >= 0) sim.schedule(cancelAfterS, () => h.cancel());
    });
  }
  for (let k = 0; k < 5; k++) sim.scheduleAt(rng.next() * 2, () => reads.push(...CHANNELS.map((c) => net.channelStats(c))));
  sim.run();
  return { doneS, reads, final: CHANNELS.map((c) => net.channelStats(c)), events: sim.eventsProcessed };
}

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b));

function expectSameStats(a: ChannelStats, b: ChannelStats): void {
  expect(b.id).toBe(a.id);
  expect(rel(b.bytesCarried, a.bytesCarried)).toBeLessThan(1e-9);
  expect(rel(b.utilisationIntegralS, a.utilisationIntegralS)).toBeLessThan(1e-9);
  expect(rel(b.busyS, a.busyS)).toBeLessThan(1e-9);
  expect(rel(b.peakLoadBytesPerS, a.peakLoadBytesPerS)).toBeLessThan(1e-9);
  expect(rel(b.loadBytesPerS, a.loadBytesPerS)).toBeLessThan(1e-9);
  expect(b.flowsCarried).toBe(a.flowsCarried);
}

describe('non-binding channel meter (flow-free.ts)', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: host DRAM out of the solve gives the in-solve figures, finish times and rates, in no more events`, () => {
      const inSolve = runScript(seed, false);
      const metered = runScript(seed, true);
      expect(metered.doneS.map(Number.isNaN)).toEqual(inSolve.doneS.map(Number.isNaN));
      inSolve.doneS.forEach((t, i) => {
        if (!Number.isNaN(t)) expect(rel(metered.doneS[i]!, t)).toBeLessThan(1e-9);
      });
      expect(metered.reads.length).toBe(inSolve.reads.length);
      inSolve.reads.forEach((s, i) => expectSameStats(s, metered.reads[i]!));
      inSolve.final.forEach((s, i) => expectSameStats(s, metered.final[i]!));
      // The script keeps host DRAM busy (the meter is not checked on nothing).
      expect(inSolve.final[2]!.flowsCarried).toBeGreaterThan(100);
      expect(inSolve.final[2]!.peakLoadBytesPerS).toBeGreaterThan(25 * GB);
      expect(metered.events).toBeLessThan(inSolve.events);
    });
  }

  it('accounts a solo flow entered ahead of the clock (startFlowAt) and one cancelled in its latency, by hand', () => {
    const { sim, net } = network(true);
    sim.scheduleAt(0.1, () => {
      // Alone on [up]: 25 GB/s, moving from 0.2 + 0.01 to 0.21 + 0.04 = 0.25 s.
      expect(net.startFlowAt(0.2, { path: ['up', 'mem'], bytes: 1 * GB, latencyS: 0.01 })).not.toBeNull();
      // Cancelled before its activation at 0.3 s: never carried.
      const h = net.startFlow({ path: ['dr', 'mem'], bytes: 1 * GB, latencyS: 0.2 });
      sim.scheduleAt(0.15, () => h.cancel());
    });
    sim.run();
    const s = net.channelStats('mem');
    expect(s.flowsCarried).toBe(1);
    expect(s.bytesCarried).toBe(1 * GB);
    expect(s.busyS).toBeCloseTo(0.04, 12);
    expect(s.peakLoadBytesPerS).toBe(25 * GB);
    expect(s.utilisationIntegralS).toBeCloseTo(1 / 70, 12);
  });

  it('episodes, bursts and claims refuse a path through a non-binding channel (its meter runs in time order)', () => {
    const { net } = network(true);
    expect(net.crossesNonBinding(['up', 'mem'])).toBe(true);
    expect(net.crossesNonBinding(['up'])).toBe(false);
    expect(net.startBurst({ path: ['up', 'mem'], bytes: GB, latencyS: 1e-3 }, 4, () => {})).toBe(false);
    expect(net.runEpisode(['up', 'mem'], 1e-3, Infinity, null, 0, 0, [GB], 10)).toBeNull();
    expect(net.runEpisode(['up'], 1e-3, Infinity, ['mem', 'down'], 1e-3, Infinity, [GB], 10)).toBeNull();
    // The same calls off the non-binding channel are taken.
    expect(network(true).net.runEpisode(['up'], 1e-3, Infinity, null, 0, 0, [GB], 10)).not.toBeNull();
    expect(network(true).net.startBurst({ path: ['up'], bytes: GB, latencyS: 1e-3 }, 4, () => {})).toBe(true);
  });

  it('refuses a path through non-binding channels only, and marking after paths are resolved', () => {
    const { net } = network(true);
    expect(() => net.startFlow({ path: ['mem'], bytes: 1 })).toThrow(/only non-binding/);
    expect(() => net.markNonBinding('dr')).toThrow(/after paths/);
    expect(() => network(false).net.markNonBinding('up')).toThrow(/duplex/);
  });
});
