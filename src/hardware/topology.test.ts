import { describe, expect, it } from 'vitest';
import { Simulator } from '../kernel/simulator.js';
import { UserError } from '../errors.js';
import { FlowNetwork } from './flow-network.js';
import { Topology, type HostLinkSpec, type NodeSpec } from './topology.js';

const GB = 1e9;
const gen4: HostLinkSpec = { h2dGBps: 25, d2hGBps: 25, bidirectionalGBpsPerDirection: 13, pageableGBps: 4, latencyUs: 10 };

/** Dual L4 (hardware.md, setup A): Gen4 x16 each, no NVLink, one NVMe. */
function dualL4(overrides: Partial<NodeSpec> = {}): Topology {
  return new Topology({
    nodes: [{ gpus: [{ hostLink: gen4 }, { hostLink: gen4 }], p2pOverPcie: false, hostMemoryGBps: 200, disks: [{ readGBps: 7, writeGBps: 5, latencyUs: 80 }], ...overrides }],
  });
}

describe('Topology', () => {
  it('bounces GPU to GPU through host DRAM when P2P is off', () => {
    const r = dualL4({ hostBounceGBps: 13 }).path({ gpu: 0 }, { gpu: 1 });
    expect(r.via).toBe('host-bounce');
    expect(r.path).toEqual(['gpu0.pcie.d2h', 'node0.hostmem', 'node0.hostmem', 'gpu1.pcie.h2d']);
    expect(r.latencyS).toBeCloseTo(20e-6, 15);
    expect(r.rateCapBytesPerS).toBe(13 * GB);
  });

  it('goes straight over PCIe when P2P is on, and over NVLink when present', () => {
    expect(dualL4({ p2pOverPcie: true }).path({ gpu: 0 }, { gpu: 1 })).toMatchObject({ via: 'pcie-p2p', path: ['gpu0.pcie.d2h', 'gpu1.pcie.h2d'] });
    const nv = dualL4({ nvlink: { perDirectionGBps: 450, latencyUs: 9 } }).path({ gpu: 1 }, { gpu: 0 });
    expect(nv).toMatchObject({ via: 'nvlink', path: ['gpu1.nvlink.tx', 'gpu0.nvlink.rx'] });
    expect(nv.latencyS).toBeCloseTo(9e-6, 15);
  });

  it('routes GPU to host, host to GPU (pinned or pageable) and to and from disk', () => {
    const t = dualL4();
    expect(t.path({ gpu: 0 }, { host: 0 }).path).toEqual(['gpu0.pcie.d2h', 'node0.hostmem']);
    const pageable = t.path({ host: 0 }, { gpu: 1 }, { hostMemory: 'pageable' });
    expect(pageable).toMatchObject({ path: ['node0.hostmem', 'gpu1.pcie.h2d'], rateCapBytesPerS: 4 * GB });
    expect(t.path({ host: 0 }, { disk: 0 }).path).toEqual(['node0.hostmem', 'disk0.write']);
    expect(t.path({ disk: 0 }, { gpu: 0 }).path).toEqual(['disk0.read', 'node0.hostmem', 'node0.hostmem', 'gpu0.pcie.h2d']);
    expect(t.path({ disk: 0 }, { host: 0 }).latencyS).toBeCloseTo(80e-6, 15);
    expect(t.path({ host: 0 }, { host: 0 })).toEqual({ path: [], latencyS: 0, via: 'local' });
  });

  it('uses GPUDirect RDMA between nodes, and names the GPUs when no NIC joins them', () => {
    const nic = { perDirectionGBps: 50, latencyUs: 5 };
    const node: NodeSpec = { gpus: [{ hostLink: gen4 }], p2pOverPcie: true, hostMemoryGBps: 200, nic };
    const t = new Topology({ nodes: [node, node] });
    const r = t.path({ gpu: 0 }, { gpu: 1 });
    expect(r).toMatchObject({ via: 'rdma', path: ['gpu0.pcie.d2h', 'node0.nic.tx', 'node1.nic.rx', 'gpu1.pcie.h2d'] });
    expect(r.latencyS).toBeCloseTo(25e-6, 15);
    expect(t.path({ host: 0 }, { host: 1 }).path).toEqual(['node0.hostmem', 'node0.nic.tx', 'node1.nic.rx', 'node1.hostmem']);

    const isolated = new Topology({ nodes: [node, { ...node, nic: undefined }] });
    expect(() => isolated.path({ gpu: 1 }, { gpu: 0 })).toThrow(UserError);
    expect(() => isolated.path({ gpu: 1 }, { gpu: 0 })).toThrow(/No path from gpu1 \(node1\) to gpu0 \(node0\).*node1 has no NIC/);
  });

  it('rejects unknown endpoints and bad numbers with the field named', () => {
    expect(() => dualL4().path({ gpu: 0 }, { gpu: 5 })).toThrow(/No gpu5: the topology has 2 GPU/);
    expect(() => dualL4({ hostMemoryGBps: 0 })).toThrow(/nodes\[0\]\.hostMemoryGBps must be a positive number, got 0/);
  });

  it('installs channels with the PCIe duplex penalty into a flow network', () => {
    const sim = new Simulator();
    const net = new FlowNetwork(sim);
    const t = dualL4({ p2pOverPcie: true });
    t.install(net);
    expect(net.channelIds()).toContain('gpu1.pcie.h2d');
    // KV from gpu0 to gpu1 while gpu1 offloads to host: gpu1's link is busy both ways.
    const kv = net.startFlow({ ...t.path({ gpu: 0 }, { gpu: 1 }), bytes: GB });
    net.startFlow({ ...t.path({ gpu: 1 }, { host: 0 }), bytes: GB });
    sim.run(0.001); // past both path latencies
    expect(kv.rateBytesPerS() / GB).toBeCloseTo(13, 9);
  });
});
