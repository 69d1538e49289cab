/**
 * A burst held ahead (flow-burst.ts, FlowNetwork.startBurst) against the same flows started one by
 * one: every end (order and time), every channel figure and the network's counters are equal,
 * whether nothing touches it, or a flow on its path, on its duplex partner or elsewhere (entering
 * the allocation), or a stats read, comes before its activation, at its very start, or while it moves.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../kernel/simulator.js';
import { burstCounts } from './flow-burst.js';
import { FlowNetwork } from './flow-network.js';
import { addStagingChannels } from './flow-testing.js';

const GB = 1e9;

type Touch = 'none' | 'same-instant' | 'same-instant-pulls' | 'same-instant-burst' | 'path' | 'partner' | 'elsewhere' | 'elsewhere-solo' | 'stats';

function run(held: boolean, touch: Touch, touchAtS: number, n = 8, otherBytes = 2e7) {
  const sim = new Simulator();
  const net = new FlowNetwork(sim);
  addStagingChannels(net, [['nic', 12 * GB]]);
  const ends: string[] = [];
  const pull = ['mem', 'down'];
  const bytes = 4e7 + 12345;
  const latencyS = 1e-5;
  const t0 = 0.25;
  const other = (): void => {
    const spec = (path: string[], tag: string) => ({ path, bytes: 3e7, latencyS: 2e-6, tag, onDone: () => ends.push(`${tag} ${sim.now}`) });
    if (touch === 'path' || touch === 'same-instant') net.startFlow(spec(pull, 'other'));
    else if (touch === 'same-instant-pulls' || (touch === 'same-instant-burst' && !held)) {
      // Another transfer's staged chunks pulled in the same event: they join the burst's activation.
      for (let k = 0; k < 3; k++) net.startFlow({ path: pull, bytes: otherBytes, latencyS, tag: 'other', onDone: () => ends.push(`other${k} ${sim.now}`) });
    } else if (touch === 'same-instant-burst') {
      expect(net.startBurst({ path: pull, bytes: otherBytes, latencyS, tag: 'other' }, 3, (k) => ends.push(`other${k} ${sim.now}`))).toBe(true);
    }
    else if (touch === 'partner') net.startFlow(spec(['up'], 'other'));
    else if (touch === 'elsewhere') {
      // Two flows on one channel: the second enters the allocation (an advance anywhere settles the burst).
      net.startFlow(spec(['nic'], 'other'));
      net.startFlow(spec(['nic'], 'other2'));
    } else if (touch === 'elsewhere-solo') net.startFlow(spec(['nic'], 'other'));
    else if (touch === 'stats') ends.push(`stats ${JSON.stringify(net.channelStats('down'))}`);
  };
  sim.schedule(t0, () => {
    const started = held && net.startBurst({ path: pull, bytes, latencyS, tag: 'pull' }, n, (k) => ends.push(`pull${k} ${sim.now}`));
    if (held) expect(started).toBe(true);
    else for (let k = 0; k < n; k++) net.startFlow({ path: pull, bytes, latencyS, tag: 'pull', onDone: () => ends.push(`pull${k} ${sim.now}`) });
    if (touch === 'same-instant' || touch === 'same-instant-pulls' || touch === 'same-instant-burst') other();
  });
  if (!touch.startsWith('same-instant') && touch !== 'none') sim.schedule(t0 + touchAtS, other);
  sim.run();
  const figures = ['up', 'mem', 'down', 'nic'].map((id) => net.channelStats(id));
  return { ends, figures, delivered: net.bytesDelivered, completed: net.flowsCompleted, active: net.activeFlows, events: sim.eventsProcessed };
}

describe('FlowNetwork bursts held ahead', () => {
  const cases: [Touch, number][] = [
    ['none', 0],
    ['same-instant', 0],
    ['same-instant-pulls', 0],
    ['same-instant-burst', 0],
    ['path', 5e-6],
    ['path', 1e-5],
    ['path', 4e-3],
    ['partner', 5e-6],
    ['partner', 4e-3],
    ['elsewhere', 5e-6],
    ['elsewhere', 4e-3],
    ['elsewhere-solo', 4e-3],
    ['stats', 5e-6],
    ['stats', 4e-3],
    ['path', 1],
  ];
  for (const [touch, atS] of cases) {
    it(`equals the flows started one by one (${touch} at +${atS} s)`, () => {
      const before = { ...burstCounts };
      const a = run(true, touch, atS);
      const early = burstCounts.settledEarly > before.settledEarly;
      const b = run(false, touch, atS);
      expect(a.ends.length).toBeGreaterThanOrEqual(8);
      expect({ ...a, events: 0 }).toEqual({ ...b, events: 0 });
      expect(burstCounts.held).toBe(before.held + 1);
      // Settled before its activation it holds the events the flows would; otherwise one fewer (no activation).
      expect(a.events).toBe(b.events - (early ? 0 : 1));
    });
  }

  // Joined in its event by another group of pulls: fewer bytes (they end first), more, or the same.
  for (const otherBytes of [2e7, 9e7, 4e7 + 12345]) {
    it(`holds a second group started in its event as one burst (${otherBytes} B each)`, () => {
      const before = { ...burstCounts };
      const a = run(true, 'same-instant-burst', 0, 8, otherBytes);
      const b = run(false, 'same-instant-burst', 0, 8, otherBytes);
      expect(burstCounts.joined).toBe(before.joined + 1);
      expect(a.ends.length).toBe(11);
      expect({ ...a, events: 0 }).toEqual({ ...b, events: 0 });
      expect(a.events).toBe(b.events - 1);
    });
  }

  it('settles before, and while, its flows move (both paths ran above)', () => {
    // 5 us is inside the 10 us latency, 4 ms while 8 x 40 MB move over 25 GB/s (~13 ms).
    const before = { ...burstCounts };
    run(true, 'path', 5e-6);
    run(true, 'path', 4e-3);
    run(true, 'elsewhere-solo', 4e-3);
    expect(burstCounts.settledEarly).toBe(before.settledEarly + 1);
    // A solo flow elsewhere neither touches the path nor enters the allocation: the burst runs to its end.
    expect(burstCounts.settledActive).toBe(before.settledActive + 1);
  });

  // A batch-mates' episode on other links (copies only) while a burst is held: bounded by its
  // activation as the activation event bounds it one by one, and refused once its flows move.
  for (const [atS, episodeBytes] of [[2e-6, 1e3], [2e-6, 1e6], [4e-3, 1e3], [4e-3, 1e6]] as const) {
    it(`runs a concurrent episode as the flows one by one allow (at +${atS} s, ${episodeBytes} B)`, () => {
      const go = (held: boolean) => {
        const sim = new Simulator();
        const net = new FlowNetwork(sim);
        net.addChannel('mem', 40 * GB);
        net.addChannel('down', 25 * GB);
        net.addChannel('nic', 12 * GB);
        const ends: string[] = [];
        const spec = { path: ['mem', 'down'], bytes: 4e7, latencyS: 1e-5, tag: 'pull' };
        sim.schedule(0.25, () => {
          if (held) expect(net.startBurst(spec, 4, (k) => ends.push(`pull${k} ${sim.now}`))).toBe(true);
          else for (let k = 0; k < 4; k++) net.startFlow({ ...spec, onDone: () => ends.push(`pull${k} ${sim.now}`) });
        });
        let ran: boolean | null = null;
        sim.schedule(0.25 + atS, () => {
          const ep = net.runEpisode(['nic'], 1e-7, Infinity, null, 0, 0, [episodeBytes], sim.peekTime());
          ran = ep !== null;
          if (ep !== null) {
            net.commitEpisode(ep);
            ends.push(`episode ${ep.endS}`);
          }
        });
        sim.run();
        return { ran, ends, figures: ['mem', 'down', 'nic'].map((id) => net.channelStats(id)) };
      };
      const a = go(true);
      expect(a).toEqual(go(false));
      expect(a.ran).toBe(atS < 1e-5 && episodeBytes < 1e5);
    });
  }

  it('is not held where the flows would not be one burst', () => {
    const sim = new Simulator();
    const net = new FlowNetwork(sim);
    net.addChannel('down', 25 * GB);
    net.addChannel('nic', 12 * GB);
    const spec = { path: ['down'], bytes: 1e6, latencyS: 1e-5 };
    expect(net.startBurst(spec, 1, () => {})).toBe(false);
    expect(net.startBurst({ ...spec, latencyS: 0 }, 4, () => {})).toBe(false);
    net.startFlow({ path: ['nic'], bytes: 1e6 });
    net.startFlow({ path: ['nic'], bytes: 1e6 });
    sim.run(1e-9);
    // Something moves in the allocation (two flows on nic): its re-rates would change the burst's figures.
    expect(net.startBurst(spec, 4, () => {})).toBe(false);
    const step = new FlowNetwork(new Simulator(), {}, 0, false);
    step.addChannel('down', 25 * GB);
    expect(step.startBurst(spec, 4, () => {})).toBe(false);
  });
});
