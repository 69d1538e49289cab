/**
 * Activations at one instant on one path share an event (flow-solo.ts, scheduleActivation): the
 * flows, their finishes, channel figures and segments are those of one event per activation, which
 * is what the network does when anything else is scheduled between the starts.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../kernel/simulator.js';
import { FlowNetwork, type ChannelSegment } from './flow-network.js';
import { addStagingChannels } from './flow-testing.js';

const GB = 1e9;

function run(separate: boolean, cancelSecond = false) {
  const sim = new Simulator();
  const segments: ChannelSegment[] = [];
  const net = new FlowNetwork(sim, { onSegment: (s) => segments.push(s) });
  addStagingChannels(net);
  const ends: string[] = [];
  const pull = ['mem', 'down'];
  const copy = ['up', 'mem'];
  sim.schedule(0.001, () => {
    // A copy in flight when the pulls start: the pulls are not solo, and the duplex coupling engages.
    net.startFlow({ path: copy, bytes: 3e8, latencyS: 1e-5, tag: 'copy', onDone: () => ends.push(`copy ${sim.now}`) });
    for (let k = 0; k < 6; k++) {
      // Something else scheduled in between gives every activation its own event.
      if (separate) sim.schedule(10, () => {});
      const f = net.startFlow({ path: pull, bytes: 1e8 + k * 3e7, latencyS: 1e-5, tag: `pull${k}`, onDone: () => ends.push(`pull${k} ${sim.now}`) });
      if (cancelSecond && k === 1) f.cancel();
    }
  });
  sim.run();
  const figures = ['up', 'mem', 'down'].map((id) => net.channelStats(id));
  return { ends, figures, segments, events: sim.eventsProcessed - (separate ? 6 : 0), delivered: net.bytesDelivered };
}

describe('FlowNetwork activation bursts', () => {
  it('activates flows due at one instant on one path in one event, with the same results', () => {
    const shared = run(false);
    const separate = run(true);
    expect(shared.ends).toHaveLength(7);
    expect({ ...shared, events: 0 }).toEqual({ ...separate, events: 0 });
    // Five of the six pull activations ran in the first one's event.
    expect(shared.events).toBe(separate.events - 5);
  });

  it('skips a cancelled flow of a shared event', () => {
    const shared = run(false, true);
    const separate = run(true, true);
    expect(shared.ends).toHaveLength(6);
    expect(shared.ends.some((e) => e.startsWith('pull1 '))).toBe(false);
    expect({ ...shared, events: 0 }).toEqual({ ...separate, events: 0 });
  });
});
