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

/** Which pairs are pulled: every one (`false`), none (`true`: copies only), or per pair (true: pulled). */
type Copies = boolean | boolean[];
const pulled = (c: Copies, i: number): boolean => (Array.isArray(c) ? c[i]! : !c);

/**
 * A client send in a kernel lane of `leadS` at `sendS`, whose submit `leadS` later starts a flow of
 * `bytes` on the copy path (another transfer's chunk): it acts on the episode's links.
 */
interface Send {
  leadS: number;
  sendS: number;
  bytes: number;
}

function addSend(sim: Simulator, net: FlowNetwork, send: Send | undefined, ends: number[]): void {
  if (send === undefined) return;
  sim.lane(send.leadS).scheduleAt(send.sendS, () => {
    sim.schedule(send.leadS, () => net.startFlow({ path: copy, bytes: send.bytes, latencyS: LAT, onDone: () => ends.push(-1, 0, sim.now) }));
  });
}

/** One layer's chunks started chunk by chunk, as the transfer manager starts them. */
function startLayer(sim: Simulator, net: FlowNetwork, bytes: number[], copies: Copies, ends: number[]): void {
  for (let i = 0; i < bytes.length; i++) {
    net.startFlow({ path: copy, bytes: bytes[i]!, latencyS: LAT, onDone: () => {
      ends.push(i, 0, sim.now);
      if (pulled(copies, i)) net.startFlow({ path: pull, bytes: bytes[i]!, latencyS: LAT, onDone: () => ends.push(i, 1, sim.now) });
    } });
    // The manager schedules each transfer's next chunk between two starts.
    sim.schedule(1, () => {});
  }
}

/**
 * Chunk by chunk: each pair's copy, then its pull (none where `copies` says copies only), as the
 * transfer manager starts them; `layers` groups one after another, each at its own start time.
 */
function eventDriven(bytes: number[], startS: number, copies: Copies = false, layers: number[] = [startS], send?: Send) {
  const sim = new Simulator();
  const net = network(sim);
  const ends: number[] = [];
  addSend(sim, net, send, ends);
  for (const layerS of layers) sim.scheduleAt(layerS, () => startLayer(sim, net, bytes, copies, ends));
  sim.run();
  return { ends, figures: ids.map((id) => net.channelStats(id)), delivered: net.bytesDelivered, completed: net.flowsCompleted };
}

/**
 * The same as episodes, all run from the first start's event (later ones as of their own start
 * times). With a `send`, each episode is bounded by the kernel's horizon too, as the mates' episodes
 * are (mates-episode.ts), and the layers from the first one refused run chunk by chunk at their times.
 */
function episode(bytes: number[], startS: number, copies: Copies = false, layers: number[] = [startS], send?: Send) {
  const sim = new Simulator();
  const net = network(sim);
  const ends: number[] = [];
  const copiesOnly = copies === true;
  const pulls = Array.isArray(copies) ? bytes.map((_, i) => pulled(copies, i)) : null;
  const stats = { episodes: 0, pastSend: 0 };
  addSend(sim, net, send, ends);
  sim.scheduleAt(layers[0]!, () => {
    for (let l = 0; l < layers.length; l++) {
      const bound = Math.min(l + 1 < layers.length ? layers[l + 1]! : Infinity, send === undefined ? Infinity : sim.peekHorizon());
      const ep = copiesOnly
        ? net.runEpisode(copy, LAT, Infinity, null, 0, 0, bytes, bound, layers[l]!)
        : net.runEpisode(copy, LAT, Infinity, pull, LAT, Infinity, bytes, bound, layers[l]!, pulls);
      if (send === undefined) expect(ep).not.toBeNull();
      if (ep === null) {
        for (let r = l; r < layers.length; r++) sim.scheduleAt(layers[r]!, () => startLayer(sim, net, bytes, copies, ends));
        return;
      }
      stats.episodes++;
      // The send is pending before the episode's end: the horizon, not the next event, let it run.
      if (sim.peekTime() < ep.endS) stats.pastSend++;
      net.commitEpisode(ep);
      for (let k = 0; k < ep.doneCount; k++) ends.push(ep.donePair[k]!, ep.doneSecond[k] ? 1 : 0, ep.doneS[k]!);
    }
  });
  // Read the figures once the clock is past the episode, as a later caller would.
  sim.scheduleAt(layers[layers.length - 1]! + 1, () => {});
  sim.run();
  return { ends, figures: ids.map((id) => net.channelStats(id)), delivered: net.bytesDelivered, completed: net.flowsCompleted, stats };
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

  // Some mates reserved (copy and pull), some not yet (copies only), in one episode.
  const mixed: [string, number[], boolean[]][] = [
    ['two mates, the second copied only', [4096 * 700, 4096 * 1900], [true, false]],
    ['five mates, two copied only', [4096 * 3072, 4096 * 100, 4096 * 1500, 4096 * 777, 4096 * 2048], [false, true, true, false, true]],
  ];
  for (const [name, bytes, pulls] of mixed) {
    it(`of pulled and copied-only mates, gives the event-driven network's times and figures bit for bit: ${name}`, () => {
      const a = eventDriven(bytes, 2.5, pulls);
      const b = episode(bytes, 2.5, pulls);
      expect(b.ends).toEqual(a.ends);
      const n = pulls.filter((p) => p).length;
      expect(b.ends.length).toBe(3 * (bytes.length + n));
      expect(b.figures).toEqual(a.figures);
      expect(b.delivered).toBe(a.delivered);
      expect(b.completed).toBe(bytes.length + n);
      // The pull's last link carried exactly the pulled chunks.
      const pulledBytes = bytes.reduce((s, x, i) => s + (pulls[i] ? x : 0), 0);
      expect(b.figures[2]!.bytesCarried).toBeCloseTo(pulledBytes, 0);
    });
  }

  // A client send in a lane while layers run ahead: its submit, a lead later, starts a flow on the
  // copy path. Episodes run past the send (the horizon is its time plus the lead) and stop before the submit.
  it('bounded by the kernel horizon, runs past a lane event and stops before its lead, bit for bit', () => {
    const bytes = [4096 * 1024, 4096 * 300, 4096 * 2000];
    const layers = [7.5, 7.5012345, 7.503, 7.5047, 7.51];
    const send: Send = { leadS: 0.0025, sendS: 7.5001, bytes: 4096 * 900 };
    const a = eventDriven(bytes, layers[0]!, false, layers, send);
    const b = episode(bytes, layers[0]!, false, layers, send);
    expect(b.ends).toEqual(a.ends);
    expect(b.figures).toEqual(a.figures);
    expect(b.delivered).toBe(a.delivered);
    expect(b.completed).toBe(a.completed);
    // Some layers ran as episodes past the pending send, and the rest chunk by chunk after the submit.
    expect(b.stats.pastSend).toBeGreaterThan(0);
    expect(b.stats.episodes).toBeLessThan(layers.length);
  });

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
