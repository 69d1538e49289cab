import { describe, expect, it } from 'vitest';
import { loadScenario } from '../scenario/load.js';
import { buildMachine } from '../scenario/build/machine.js';
import { loadGpu } from '../model/catalog.js';
import { Topology, type HostLinkSpec } from './topology.js';
import { loadBounds, nonBindingChannels, type RouteSource } from './non-binding.js';

const GB = 1e9;
const link = (h2d: number, d2h: number): HostLinkSpec => ({ h2dGBps: h2d, d2hGBps: d2h, bidirectionalGBpsPerDirection: 8, pageableGBps: 4, latencyUs: 10 });

/** A shipped scenario's topology, as the builders make it. */
function shipped(file: string): Topology {
  const { scenario: sc } = loadScenario(file);
  const gpus = sc.deployment.pools.map((p) => loadGpu(p.gpu));
  return new Topology(buildMachine(sc, file, gpus).spec);
}

describe('nonBindingChannels', () => {
  it('bounds host DRAM of one GPU and one disk by hand (greedy dual: cheapest witness per uncovered route)', () => {
    // Routes in endpoint order (gpu0, host0, disk0): gpu->host [d2h, mem] sets y(d2h) = 1; gpu->disk
    // [d2h, mem, mem, dw] needs 2, covered 1, witness dw (2 GB/s < 12): y(dw) = 2; host->gpu sets
    // y(h2d) = 1; host->disk is covered by y(dw); disk->gpu [dr, mem, mem, h2d] needs 2, covered 1,
    // witness dr (3 < 10): y(dr) = 2; disk->host covered. Bound 12 + 2*2 + 10 + 2*3 = 32 GB/s
    // (the plain sum of sharing channels x max crossing ratio would give 2 x 27 = 54).
    const topo = new Topology({ nodes: [{ gpus: [{ hostLink: link(10, 12) }], p2pOverPcie: false, hostMemoryGBps: 40, disks: [{ readGBps: 3, writeGBps: 2, latencyUs: 80 }] }] });
    const b = loadBounds(topo);
    expect(b.get('node0.hostmem')! / GB).toBeCloseTo(32, 12);
    // d2h: gpu->host [d2h, mem] has the one witness mem: y(mem) = 1; gpu->disk is covered (2 crossings of mem).
    expect(b.get('gpu0.pcie.d2h')! / GB).toBeCloseTo(40, 12);
    expect(nonBindingChannels(topo)).toEqual(['node0.hostmem']);
    // At 30 GB/s host DRAM could bind: it stays in the solve.
    const tight = new Topology({ nodes: [{ gpus: [{ hostLink: link(10, 12) }], p2pOverPcie: false, hostMemoryGBps: 30, disks: [{ readGBps: 3, writeGBps: 2, latencyUs: 80 }] }] });
    expect(nonBindingChannels(tight)).toEqual([]);
  });

  it('frees host DRAM on a one-GPU node and keeps it on an eight-GPU node', () => {
    const node = (gpus: number) => ({ gpus: Array.from({ length: gpus }, () => ({ hostLink: link(25, 25) })), p2pOverPcie: true, hostMemoryGBps: 162 });
    // One GPU: routes [d2h, mem], [mem, h2d]: bound 25 + 25 = 50 < 162.
    expect(loadBounds(new Topology({ nodes: [node(1)] })).get('node0.hostmem')! / GB).toBeCloseTo(50, 12);
    expect(nonBindingChannels(new Topology({ nodes: [node(1)] }))).toEqual(['node0.hostmem']);
    // Eight: 16 PCIe directions, 400 GB/s > 162.
    expect(loadBounds(new Topology({ nodes: [node(8)] })).get('node0.hostmem')! / GB).toBeCloseTo(400, 12);
    expect(nonBindingChannels(new Topology({ nodes: [node(8)] }))).toEqual([]);
  });

  it('keeps a channel some route crosses alone, or crosses with others too small to cap it', () => {
    const src = (routes: string[][], caps: Record<string, number>): RouteSource => ({
      channels: Object.entries(caps).map(([id, c]) => ({ id, capacityBytesPerS: c })),
      duplexCouplings: [],
      endpoints: () => routes.map((_, i) => ({ gpu: i })),
      // Endpoint i to endpoint j (i != j): route i (so each route is asked for).
      tryPath: (from, to) => ('gpu' in from && 'gpu' in to && to.gpu === (from.gpu + 1) % routes.length ? { path: routes[from.gpu]!, latencyS: 0, via: 'host' } : null),
    });
    // Route 0 [a, b], route 1 [a]: a alone on route 1, no bound; b is capped by a only (100 > 1).
    const alone = src([['a', 'b'], ['a']], { a: 100, b: 1 });
    expect(loadBounds(alone).get('a')).toBe(Infinity);
    expect(loadBounds(alone).get('b')).toBe(100);
    expect(nonBindingChannels(alone)).toEqual([]);
    // A channel no route crosses has bound 0 and is left in place.
    expect(loadBounds(src([['a', 'b']], { a: 100, b: 1, idle: 5 })).get('idle')).toBe(0);
    expect(nonBindingChannels(src([['a', 'b']], { a: 100, b: 1, idle: 5 }))).toEqual([]);
    // Routes [a, b], [a, c], [a, a, b]: a's bound: y(b) = 1 (route 0), y(c) = 1 (route 1), route 2 needs
    // 2 (covered 1): y(b) = 2 (b cheaper than... the only witness): 2*3 + 4 = 10.
    const three = src([['a', 'b'], ['a', 'c'], ['a', 'a', 'b']], { a: 10.5, b: 3, c: 4 });
    expect(loadBounds(three).get('a')).toBe(10);
    expect(nonBindingChannels(three)).toEqual(['a']);
    // A duplex-coupled channel is never freed.
    expect(nonBindingChannels({ ...three, duplexCouplings: [{ a: 'a', b: 'c' }] })).toEqual([]);
  });

  it('frees node0.hostmem on the kv-tiers bench (one H100) and keeps host DRAM in the solve on dual-l4 and the laptop', () => {
    const tiers = shipped('scenarios/bench/kv-tiers.yaml');
    expect(tiers.nonBindingChannels()).toEqual(['node0.hostmem']);
    // H100 PCIe 46.8 + 54.8, disk 2 x (7 + 5): 125.6 GB/s of 162.
    expect(loadBounds(tiers).get('node0.hostmem')! / GB).toBeCloseTo(125.6, 9);
    // Laptop: 38 GB/s DRAM against 31.84 of PCIe and disk, but a GPU<->disk copy staged through host
    // crosses DRAM twice: the LP optimum (and this bound) is 38.64 GB/s, so DRAM could bind.
    const laptop = shipped('scenarios/laptop-2080-offload.yaml');
    expect(loadBounds(laptop).get('node0.hostmem')! / GB).toBeCloseTo(38.64, 9);
    expect(laptop.nonBindingChannels()).toEqual([]);
    const dual = shipped('scenarios/bench/dual-l4-disagg.yaml');
    expect(dual.channels.some((c) => c.id === 'node0.hostmem')).toBe(true);
    expect(dual.nonBindingChannels()).toEqual([]);
  });
});
