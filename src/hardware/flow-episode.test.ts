/**
 * A flow episode (flow-episode.ts) against the event-driven network it stands for: the same K
 * two-leg flows started in one event, each second leg started when its first ends. Finish times,
 * every channel figure and the bytes delivered must be equal bit for bit, and an episode is
 * refused when another flow moves or an event of it would fall at or after the bound.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../kernel/simulator.js';
import { FlowNetwork } from './flow-network.js';

const GB = 1e9;
const copy = ['d2h', 'mem'];
const pull = ['mem', 'h2d'];
const LAT = 1e-5;

function network(sim: Simulator): FlowNetwork {
  const net = new FlowNetwork(sim);
  net.addChannel('d2h', 25 * GB);
  net.addChannel('mem', 40 * GB);
  net.addChannel('h2d', 25 * GB);
  net.addChannel('g0.h2d', 25 * GB);
  net.addChannel('g1.d2h', 25 * GB);
  net.coupleDuplex('d2h', 'g0.h2d', 13.5 * GB);
  net.coupleDuplex('g1.d2h', 'h2d', 13.5 * GB);
  return net;
}

const ids = ['d2h', 'mem', 'h2d'];

/**
 * Chunk by chunk: each pair's copy, then its pull (none with `copiesOnly`), as the transfer
 * manager starts them; `layers` groups one after another, each at its own start time.
 */
function eventDriven(bytes: number[], startS: number, copiesOnly = false, layers: number[] = [startS]) {
  const sim = new Simulator();
  const net = network(sim);
  const ends: number[] = [];
  for (const layerS of layers) sim.scheduleAt(layerS, () => {
    for (let i = 0; i < bytes.length; i++) {
      net.startFlow({ path: copy, bytes: bytes[i]!, latencyS: LAT, onDone: () => {
        ends.push(i, 0, sim.now);
        if (!copiesOnly) net.startFlow({ path: pull, bytes: bytes[i]!, latencyS: LAT, onDone: () => ends.push(i, 1, sim.now) });
      } });
      // The manager schedules each transfer's next chunk between two starts.
      sim.schedule(1, () => {});
    }
  });
  sim.run();
  return { ends, figures: ids.map((id) => net.channelStats(id)), delivered: net.bytesDelivered, completed: net.flowsCompleted };
}

/** The same as episodes, all run from the first start's event (later ones as of their own start times). */
function episode(bytes: number[], startS: number, copiesOnly = false, layers: number[] = [startS]) {
  const sim = new Simulator();
  const net = network(sim);
  const ends: number[] = [];
  sim.scheduleAt(layers[0]!, () => {
    for (let l = 0; l < layers.length; l++) {
      const bound = l + 1 < layers.length ? layers[l + 1]! : Infinity;
      const ep = copiesOnly
        ? net.runEpisode(copy, LAT, Infinity, null, 0, 0, bytes, bound, layers[l]!)!
        : net.runEpisode(copy, LAT, Infinity, pull, LAT, Infinity, bytes, bound, layers[l]!)!;
      expect(ep).not.toBeNull();
      net.commitEpisode(ep);
      for (let k = 0; k < ep.doneCount; k++) ends.push(ep.donePair[k]!, ep.doneSecond[k] ? 1 : 0, ep.doneS[k]!);
    }
  });
  // Read the figures once the clock is past the episode, as a later caller would.
  sim.scheduleAt(layers[layers.length - 1]! + 1, () => {});
  sim.run();
  return { ends, figures: ids.map((id) => net.channelStats(id)), delivered: net.bytesDelivered, completed: net.flowsCompleted };
}

describe('flow episodes', () => {
  // Sizes of one layer of batched prompts (4 KiB per token), some equal, some far apart.
  const cases: [string, number[], number][] = [
    ['two mates', [4096 * 700, 4096 * 1900], 12.345678],
    ['three mates, two equal', [4096 * 1024, 4096 * 64, 4096 * 1024], 0.5],
    ['five mates', [4096 * 3072, 4096 * 100, 4096 * 1500, 4096 * 777, 4096 * 2048], 987.654321],
    ['one chunk', [4096 * 333], 3.25],
  ];
  for (const [name, bytes, startS] of cases) {
    it(`gives the event-driven network's times and figures bit for bit: ${name}`, () => {
      const a = eventDriven(bytes, startS);
      const b = episode(bytes, startS);
      expect(b.ends).toEqual(a.ends);
      expect(b.figures).toEqual(a.figures);
      expect(b.delivered).toBe(a.delivered);
      expect(b.completed).toBe(2 * bytes.length);
      // Conservation: each chunk crosses host memory twice, the PCIe directions once.
      const total = bytes.reduce((s, x) => s + x, 0);
      expect(b.figures[0]!.bytesCarried).toBeCloseTo(total, 0);
      expect(b.figures[1]!.bytesCarried).toBeCloseTo(2 * total, 0);
    });
  }

  for (const [name, bytes, startS] of cases) {
    it(`of copies only, gives the event-driven network's times and figures bit for bit: ${name}`, () => {
      const a = eventDriven(bytes, startS, true);
      const b = episode(bytes, startS, true);
      expect(b.ends).toEqual(a.ends);
      expect(b.ends.length).toBe(3 * bytes.length);
      expect(b.figures).toEqual(a.figures);
      expect(b.delivered).toBe(a.delivered);
      expect(b.completed).toBe(bytes.length);
      // Nothing crossed the pull's last link.
      expect(b.figures[2]!.bytesCarried).toBe(0);
    });
  }

  // Layers of one group, each due a little after the one before ends: run ahead of the clock from the first one's event.
  for (const copiesOnly of [false, true]) {
    it(`run ahead as of later start times, gives the event-driven network's figures bit for bit${copiesOnly ? ' (copies only)' : ''}`, () => {
      const bytes = [4096 * 1024, 4096 * 300, 4096 * 2000];
      const layers = [7.5, 7.5012345, 7.503, 7.5047, 7.51];
      const a = eventDriven(bytes, layers[0]!, copiesOnly, layers);
      const b = episode(bytes, layers[0]!, copiesOnly, layers);
      expect(b.ends).toEqual(a.ends);
      expect(b.ends.length).toBe(3 * bytes.length * layers.length * (copiesOnly ? 1 : 2));
      expect(b.figures).toEqual(a.figures);
      expect(b.delivered).toBe(a.delivered);
    });
  }

  it('is refused when a flow moves elsewhere in the allocation, or an event would reach the bound', () => {
    const sim = new Simulator();
    const net = network(sim);
    sim.schedule(0.001, () => {
      expect(net.runEpisode(copy, LAT, Infinity, pull, LAT, Infinity, [4096 * 1000], 0.001 + LAT)).toBeNull();
      expect(net.runEpisode(copy, LAT, Infinity, pull, LAT, Infinity, [4096 * 1000], Infinity)).not.toBeNull();
      net.startFlow({ path: copy, bytes: 1e9, latencyS: 0 });
      expect(net.runEpisode(copy, LAT, Infinity, pull, LAT, Infinity, [4096 * 1000], Infinity)).toBeNull();
    });
    sim.run();
  });
});
