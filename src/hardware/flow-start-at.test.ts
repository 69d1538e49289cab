/**
 * FlowNetwork.startFlowAt: a flow entered ahead of the clock, at a start time before anything else
 * can act on the network, gives what startFlow gives from an event at that time. The reference
 * starts every flow from an event at its time; the driver under test runs ahead as an engine does
 * (KvTiers.shards): each start before the kernel's horizon is entered at once, one the network
 * refuses (no latency and not alone on its links) and the rest of its instant from an event then.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../kernel/simulator.js';
import { FlowNetwork, type ChannelSegment, type FlowSpec } from './flow-network.js';
import { addStagingChannels } from './flow-testing.js';

const GB = 1e9;
const CALLER_PRIORITY = 1;
const CHANNELS = ['up', 'mem', 'down', 'disk'];
const PATHS = [['up', 'mem'], ['mem', 'down'], ['disk', 'mem'], ['up'], ['mem']];

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Start { atS: number; path: string[]; bytes: number; latencyS: number; capBytesPerS?: number }

/** Start times in order; about a third share the previous one's instant. */
function starts(seed: number, n: number): Start[] {
  const rnd = lcg(seed * 104729 + 7);
  const out: Start[] = [];
  let t = 0.001;
  for (let i = 0; i < n; i++) {
    if (i > 0 && rnd() >= 0.35) t += -Math.log(1 - rnd()) * 2e-4;
    const latencyS = [0, 1e-5, 5e-4][Math.floor(rnd() * 3)]!;
    const bytes = rnd() < 0.05 ? 0 : Math.round(1e6 + rnd() * 5e7);
    out.push({ atS: t, path: PATHS[Math.floor(rnd() * PATHS.length)]!, bytes, latencyS, capBytesPerS: rnd() < 0.2 ? 8 * GB : undefined });
  }
  return out;
}

function run(seed: number, ahead: boolean) {
  const sim = new Simulator();
  const segments: ChannelSegment[] = [];
  const net = new FlowNetwork(sim, { onSegment: (s) => segments.push(s) });
  addStagingChannels(net, [['disk', 3 * GB]]);
  const list = starts(seed, 120);
  const ends: string[] = [];
  const spec = (i: number): FlowSpec => {
    const s = list[i]!;
    return { path: s.path, bytes: s.bytes, latencyS: s.latencyS, rateCapBytesPerS: s.capBytesPerS, tag: `f${i}`, onDone: () => ends.push(`f${i} ${sim.now}`) };
  };
  let enteredAhead = 0;
  let refused = 0;
  if (!ahead) {
    for (let i = 0; i < list.length; ) {
      const first = i;
      const atS = list[i]!.atS;
      while (i < list.length && list[i]!.atS === atS) i++;
      const last = i;
      sim.scheduleAt(atS, () => {
        for (let k = first; k < last; k++) net.startFlow(spec(k));
      }, CALLER_PRIORITY);
    }
  } else {
    let next = 0;
    const drive = (): void => {
      while (next < list.length) {
        const atS = list[next]!.atS;
        if (atS === sim.now) {
          net.startFlow(spec(next++));
        } else if (!(atS < sim.peekHorizon())) {
          sim.scheduleAt(atS, drive, CALLER_PRIORITY);
          return;
        } else if (net.startFlowAt(atS, spec(next)) !== null) {
          next++;
          enteredAhead++;
        } else {
          // Refused: it and the rest of its instant start from an event then, in order.
          refused++;
          sim.scheduleAt(atS, drive, CALLER_PRIORITY);
          return;
        }
      }
    };
    sim.scheduleAt(list[0]!.atS, drive, CALLER_PRIORITY);
  }
  sim.run();
  const figures = CHANNELS.map((id) => net.channelStats(id));
  return { ends, figures, segments, delivered: net.bytesDelivered, completed: net.flowsCompleted, events: sim.eventsProcessed, enteredAhead, refused };
}

describe('FlowNetwork.startFlowAt', () => {
  for (let seed = 1; seed <= 12; seed++) {
    it(`seed ${seed}: flows entered ahead of the clock end and account as started from events at their times, in fewer events`, () => {
      const ref = run(seed, false);
      const ahd = run(seed, true);
      expect(ref.ends).toHaveLength(120);
      expect(ahd.ends).toEqual(ref.ends);
      expect(ahd.segments).toEqual(ref.segments);
      expect(ahd.figures).toEqual(ref.figures);
      expect(ahd.delivered).toBe(ref.delivered);
      expect(ahd.completed).toBe(ref.completed);
      expect(ahd.enteredAhead).toBeGreaterThanOrEqual(15);
      expect(ahd.refused).toBeGreaterThan(0);
      expect(ahd.events).toBeLessThan(ref.events);
    });
  }

  it('refuses, without a trace, a flow with no latency that would enter the shared allocation at its start', () => {
    const sim = new Simulator();
    const net = new FlowNetwork(sim);
    net.addChannel('mem', 40 * GB);
    sim.scheduleAt(0.001, () => {
      // Alone on its link: entered (its end, 1 ms later, is its only event).
      const a = net.startFlowAt(0.002, { path: ['mem'], bytes: 4e7 });
      expect(a?.state).toBe('waiting');
      // The link carries `a` from 0.002 s: no latency means it would re-rate `a` at 0.0025 s itself.
      expect(net.startFlowAt(0.0025, { path: ['mem'], bytes: 4e7 })).toBeNull();
      // With latency it only waits until 0.0025 + 1e-5 s: entered.
      expect(net.startFlowAt(0.0025, { path: ['mem'], bytes: 4e7, latencyS: 1e-5 })).not.toBeNull();
      expect(() => net.startFlowAt(0.0005, { path: ['mem'], bytes: 1 })).toThrow(/before now/);
    });
    sim.run();
    expect(net.flowsCompleted).toBe(2);
    // 80 MB over 40 GB/s from 0.002 s, the second 10 us later: they share the link, done at 0.004 s.
    expect(sim.now).toBeCloseTo(0.004, 9);
  });
});
