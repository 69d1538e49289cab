/**
 * The claim API of the flow network (a caller computing solo flows ahead, layer-chain.ts): a flow
 * planned with soloPlan and accounted with replaySolo leaves the same figures as the same flow run
 * by the network; one handed back in flight with adoptSolo, then joined by another flow, ends as it
 * would have; a claimant settles before anyone else starts a flow on, or reads, its channels.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../kernel/simulator.js';
import { FlowNetwork, type ChannelClaim, type ChannelSegment } from './flow-network.js';

const GB = 1e9;
const path = ['a', 'b', 'a'];

function setup(): { sim: Simulator; net: FlowNetwork; segments: ChannelSegment[] } {
  const sim = new Simulator();
  const segments: ChannelSegment[] = [];
  const net = new FlowNetwork(sim, { onSegment: (s) => segments.push({ ...s, flowId: 0 }) });
  net.addChannel('a', 12 * GB);
  net.addChannel('b', 7 * GB);
  net.addChannel('c', 9 * GB);
  net.coupleDuplex('b', 'c', 5 * GB);
  return { sim, net, segments };
}

const figures = (net: FlowNetwork) => ['a', 'b', 'c'].map((id) => net.channelStats(id));

describe('FlowNetwork claims', () => {
  it('replaySolo accounts a planned flow exactly as the network runs it', () => {
    const ran = setup();
    let doneS = NaN;
    ran.sim.schedule(0.25, () => ran.net.startFlow({ path, bytes: 3.3e8 + 7, latencyS: 1e-5, rateCapBytesPerS: 5.5 * GB, tag: 'x', onDone: () => (doneS = ran.sim.now) }));
    ran.sim.run();
    const planned = setup();
    const plan = planned.net.soloPlan(path, 3.3e8 + 7, 1e-5, 5.5 * GB, 0.25);
    expect(plan.finishS).toBe(doneS);
    planned.sim.schedule(doneS, () => planned.net.replaySolo(path, 3.3e8 + 7, 'x', plan));
    planned.sim.run();
    expect(figures(planned.net)).toEqual(figures(ran.net));
    expect(planned.segments).toEqual(ran.segments);
    expect(planned.net.flowsCompleted).toBe(1);
    expect(planned.net.bytesDelivered).toBe(3.3e8 + 7);
  });

  it('adoptSolo hands back a flow in flight that then shares its link as if never planned', () => {
    const run = (adopt: boolean) => {
      const w = setup();
      const ends: string[] = [];
      const spec = { path: ['a', 'b'], bytes: 2 * GB, latencyS: 1e-4, tag: 'first', onDone: () => ends.push(`first ${w.sim.now}`) };
      if (adopt) w.sim.schedule(0.1, () => w.sim.schedule(0.05, () => w.net.adoptSolo(spec, 0.1)));
      else w.sim.schedule(0.1, () => w.net.startFlow(spec));
      // Joins on the duplex partner of b mid-way: the first flow is materialized into the allocation.
      w.sim.schedule(0.2, () => w.net.startFlow({ path: ['c'], bytes: 1 * GB, tag: 'second', onDone: () => ends.push(`second ${w.sim.now}`) }));
      w.sim.run();
      return { ends, figures: figures(w.net), segments: w.segments };
    };
    const adopted = run(true);
    expect(adopted.ends).toHaveLength(2);
    expect(adopted).toEqual(run(false));
  });

  it('a claimant settles before another flow starts on a claimed channel or its partner, or a read', () => {
    const { net } = setup();
    let settled = 0;
    const claim: ChannelClaim = { materialize: () => (settled++, net.setClaim(ids, null, claim)) };
    const ids = net.claimableChannels(['b']);
    expect(ids.sort()).toEqual(['b', 'c']);
    expect(net.idleUnclaimed(ids)).toBe(true);
    net.setClaim(ids, claim);
    expect(net.idleUnclaimed(ids)).toBe(false);
    expect(net.idleUnclaimed(ids, claim)).toBe(true);
    net.startFlow({ path: ['a'], bytes: GB });
    expect(settled).toBe(0);
    net.startFlow({ path: ['c'], bytes: GB });
    expect(settled).toBe(1);
    net.setClaim(ids, claim);
    net.channelStats('b');
    expect(settled).toBe(2);
  });
});
