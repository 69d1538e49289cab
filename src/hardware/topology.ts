/**
 * The machine as channels: builds the flow network's channels from a plain description (nodes, GPUs
 * and their host links, NVLink, P2P, NICs, host DRAM, disks) and answers "which channels, and how much
 * latency, does a copy from A to B cross?". Pure data: no simulator needed, so scenario validation can
 * ask for paths ("a decode GPU with no path to its prefill GPU") before anything runs.
 *
 * GPUs and disks are numbered across the whole machine in node order (gpu0, gpu1 on node0, gpu2 on
 * node1 ...). Rates are GB/s (1e9 B/s), per direction, as in reference/hardware.md Table 2.
 */
import { UserError } from '../errors.js';
import type { FlowNetwork } from './flow-network.js';
import { hardwareMessages } from '../messages/hardware.js';
import { nonBindingChannels, type RouteSource } from './non-binding.js';
import type { Endpoint, Route } from './route.js';

// In route.ts so that non-binding.ts reads them without importing this file back.
export type { Endpoint, Route } from './route.js';

export interface HostLinkSpec {
  /** Pinned host memory to GPU, one direction alone (Gen4 x16 measured ~25). */
  h2dGBps: number;
  /** GPU to pinned host memory, one direction alone. */
  d2hGBps: number;
  /** Per direction while both directions carry traffic (Gen4 measured 11-16). */
  bidirectionalGBpsPerDirection: number;
  /** Ceiling of a copy from or to pageable host memory (driver bounce buffer; 2-6 on Gen4). */
  pageableGBps: number;
  latencyUs: number;
}

export interface NodeSpec {
  gpus: { hostLink: HostLinkSpec }[];
  /** NVLink port per GPU (to a bridge or an NVSwitch); absent when the node has none. */
  nvlink?: { perDirectionGBps: number; latencyUs: number };
  /** GPU-to-GPU copies straight over PCIe; when false they bounce through host memory. */
  p2pOverPcie: boolean;
  /**
   * Ceiling of a GPU-to-GPU copy bounced through host memory (P2P off). The driver's staged copy
   * runs well below the link rate: ~13 GB/s per direction on Gen4 L4s (hardware.md, dual-L4 notes).
   */
  hostBounceGBps?: number;
  /** RDMA NIC, per direction; absent on a single box. */
  nic?: { perDirectionGBps: number; latencyUs: number };
  /** Host DRAM bandwidth, reads and writes together (a bottleneck on laptops: ~47 GB/s). */
  hostMemoryGBps: number;
  disks?: { readGBps: number; writeGBps: number; latencyUs: number }[];
}

export interface TopologySpec {
  nodes: NodeSpec[];
}

export interface RouteOptions {
  /** Host end of a GPU<->host copy: pinned (default) or pageable (rate-capped). */
  hostMemory?: 'pinned' | 'pageable';
}

export const channelIds = {
  h2d: (gpu: number): string => `gpu${gpu}.pcie.h2d`,
  d2h: (gpu: number): string => `gpu${gpu}.pcie.d2h`,
  nvlinkTx: (gpu: number): string => `gpu${gpu}.nvlink.tx`,
  nvlinkRx: (gpu: number): string => `gpu${gpu}.nvlink.rx`,
  nicTx: (node: number): string => `node${node}.nic.tx`,
  nicRx: (node: number): string => `node${node}.nic.rx`,
  hostMemory: (node: number): string => `node${node}.hostmem`,
  diskRead: (disk: number): string => `disk${disk}.read`,
  diskWrite: (disk: number): string => `disk${disk}.write`,
};

const GB = 1e9;
const US = 1e-6;

interface Hop {
  path: string[];
  latencyS: number;
}

export class Topology implements RouteSource {
  /** Channels to create, in a stable order. */
  readonly channels: { id: string; capacityBytesPerS: number }[] = [];
  readonly duplexCouplings: { a: string; b: string; bidirectionalBytesPerSPerDirection: number }[] = [];
  private readonly gpuNode: number[] = [];
  private readonly gpuLink: HostLinkSpec[] = [];
  private readonly diskNode: number[] = [];
  private readonly diskLatencyS: number[] = [];

  constructor(readonly spec: TopologySpec) {
    if (spec.nodes.length === 0) throw new RangeError('Topology needs at least one node');
    spec.nodes.forEach((node, n) => this.addNode(node, n));
  }

  get gpuCount(): number {
    return this.gpuNode.length;
  }

  get diskCount(): number {
    return this.diskNode.length;
  }

  nodeOfGpu(gpu: number): number {
    this.checkGpu(gpu);
    return this.gpuNode[gpu]!;
  }

  /** Disks of a node, as machine-wide indices. */
  disksOfNode(node: number): number[] {
    return this.diskNode.flatMap((n, d) => (n === node ? [d] : []));
  }

  /**
   * Creates every channel and duplex coupling in the network; with `freeNonBinding`, takes the
   * channels that can never bind out of its solve (non-binding.ts). A caller whose routes rely on
   * episodes, bursts or layer chains leaves it off: those refuse routes through such channels.
   */
  install(net: FlowNetwork, freeNonBinding = false): void {
    for (const c of this.channels) net.addChannel(c.id, c.capacityBytesPerS);
    for (const d of this.duplexCouplings) net.coupleDuplex(d.a, d.b, d.bidirectionalBytesPerSPerDirection);
    if (freeNonBinding) for (const id of this.nonBindingChannels()) net.markNonBinding(id);
  }

  /** Channels whose capacity covers any load the routes below can put on them (non-binding.ts). */
  nonBindingChannels(): string[] {
    return (this.nonBinding ??= nonBindingChannels(this));
  }

  private nonBinding?: string[];

  /** Every place bytes can sit: each GPU, each node's host memory, each disk. */
  endpoints(): Endpoint[] {
    const gpus = this.gpuNode.map((_, gpu): Endpoint => ({ gpu }));
    const hosts = this.spec.nodes.map((_, host): Endpoint => ({ host }));
    const disks = this.diskNode.map((_, disk): Endpoint => ({ disk }));
    return [...gpus, ...hosts, ...disks];
  }

  /** `path`, or null where the topology has none (nodes without NICs). */
  tryPath(from: Endpoint, to: Endpoint): Route | null {
    try {
      return this.path(from, to);
    } catch (e) {
      if (e instanceof UserError) return null;
      throw e;
    }
  }

  /**
   * Channels and latency of a copy. GPU to GPU: NVLink when the node has it, else PCIe P2P when
   * enabled, else bounced through host DRAM (written then read, so DRAM is crossed twice); across
   * nodes, GPUDirect RDMA (source D2H, NIC tx, NIC rx, destination H2D). Everything else is staged
   * through host DRAM of the nodes involved.
   */
  path(from: Endpoint, to: Endpoint, opts: RouteOptions = {}): Route {
    if ('gpu' in from && 'gpu' in to) return this.gpuToGpu(from.gpu, to.gpu);
    const fromNode = this.nodeOf(from);
    const toNode = this.nodeOf(to);
    if ('host' in from && 'host' in to && fromNode === toNode) return { path: [], latencyS: 0, via: 'local' };
    const hops: Hop[] = [];
    if (!('host' in from)) hops.push(this.intoHost(from));
    if (fromNode !== toNode) hops.push(this.network(fromNode, toNode, from, to));
    if (!('host' in to)) hops.push(this.outOfHost(to));
    const route = join(hops, 'host');
    const gpu = 'gpu' in from ? from.gpu : 'gpu' in to ? to.gpu : undefined;
    const hostEnd = 'host' in from || 'host' in to;
    if (opts.hostMemory === 'pageable' && hostEnd && gpu !== undefined) {
      route.rateCapBytesPerS = this.gpuLink[gpu]!.pageableGBps * GB;
    }
    return route;
  }

  private gpuToGpu(a: number, b: number): Route {
    const [na, nb] = [this.nodeOfGpu(a), this.nodeOfGpu(b)];
    if (a === b) return { path: [], latencyS: 0, via: 'local' };
    const [la, lb] = [this.gpuLink[a]!, this.gpuLink[b]!];
    const pcieLatencyS = (la.latencyUs + lb.latencyUs) * US;
    if (na !== nb) {
      const net = this.network(na, nb, { gpu: a }, { gpu: b });
      return join([{ path: [channelIds.d2h(a)], latencyS: la.latencyUs * US }, net, { path: [channelIds.h2d(b)], latencyS: lb.latencyUs * US }], 'rdma');
    }
    const node = this.spec.nodes[na]!;
    if (node.nvlink) {
      return { path: [channelIds.nvlinkTx(a), channelIds.nvlinkRx(b)], latencyS: node.nvlink.latencyUs * US, via: 'nvlink' };
    }
    if (node.p2pOverPcie) return { path: [channelIds.d2h(a), channelIds.h2d(b)], latencyS: pcieLatencyS, via: 'pcie-p2p' };
    const route = join([this.intoHost({ gpu: a }), this.outOfHost({ gpu: b })], 'host-bounce');
    if (node.hostBounceGBps !== undefined) route.rateCapBytesPerS = node.hostBounceGBps * GB;
    return route;
  }

  /** From a GPU or disk into its own node's DRAM. */
  private intoHost(e: Endpoint): Hop {
    if ('gpu' in e) {
      return { path: [channelIds.d2h(e.gpu), channelIds.hostMemory(this.nodeOfGpu(e.gpu))], latencyS: this.gpuLink[e.gpu]!.latencyUs * US };
    }
    const d = (e as { disk: number }).disk;
    return { path: [channelIds.diskRead(d), channelIds.hostMemory(this.diskNode[d]!)], latencyS: this.diskLatencyS[d]! };
  }

  /** From a node's DRAM into one of its GPUs or disks. */
  private outOfHost(e: Endpoint): Hop {
    if ('gpu' in e) {
      return { path: [channelIds.hostMemory(this.nodeOfGpu(e.gpu)), channelIds.h2d(e.gpu)], latencyS: this.gpuLink[e.gpu]!.latencyUs * US };
    }
    const d = (e as { disk: number }).disk;
    return { path: [channelIds.hostMemory(this.diskNode[d]!), channelIds.diskWrite(d)], latencyS: this.diskLatencyS[d]! };
  }

  /** NIC to NIC between two nodes; the source NIC's latency stands for the one-way network latency. */
  private network(src: number, dst: number, from: Endpoint, to: Endpoint): Hop {
    const [a, b] = [this.spec.nodes[src]!, this.spec.nodes[dst]!];
    if (!a.nic || !b.nic) {
      const missing = [!a.nic ? `node${src}` : '', !b.nic ? `node${dst}` : ''].filter((s) => s !== '').join(' and ');
      throw new UserError(
        hardwareMessages.noPathAcrossNodes(describe(from), src, describe(to), dst, missing),
      );
    }
    const gpuDirect = 'gpu' in from && 'gpu' in to;
    // Host-staged copies read the source DRAM and write the destination DRAM; GPUDirect RDMA does not.
    const path = gpuDirect
      ? [channelIds.nicTx(src), channelIds.nicRx(dst)]
      : [channelIds.hostMemory(src), channelIds.nicTx(src), channelIds.nicRx(dst), channelIds.hostMemory(dst)];
    return { path, latencyS: a.nic.latencyUs * US };
  }

  private nodeOf(e: Endpoint): number {
    if ('gpu' in e) return this.nodeOfGpu(e.gpu);
    if ('disk' in e) {
      if (!Number.isInteger(e.disk) || e.disk < 0 || e.disk >= this.diskNode.length) {
        throw new RangeError(`No disk${e.disk}: the topology has ${this.diskNode.length} disk(s)`);
      }
      return this.diskNode[e.disk]!;
    }
    if (!Number.isInteger(e.host) || e.host < 0 || e.host >= this.spec.nodes.length) {
      throw new RangeError(`No node${e.host}: the topology has ${this.spec.nodes.length} node(s)`);
    }
    return e.host;
  }

  private checkGpu(gpu: number): void {
    if (!Number.isInteger(gpu) || gpu < 0 || gpu >= this.gpuNode.length) {
      throw new RangeError(`No gpu${gpu}: the topology has ${this.gpuNode.length} GPU(s)`);
    }
  }

  private addNode(node: NodeSpec, n: number): void {
    const add = (id: string, gbps: number, field: string): void => {
      positive(gbps, `nodes[${n}].${field}`);
      this.channels.push({ id, capacityBytesPerS: gbps * GB });
    };
    add(channelIds.hostMemory(n), node.hostMemoryGBps, 'hostMemoryGBps');
    if (node.hostBounceGBps !== undefined) positive(node.hostBounceGBps, `nodes[${n}].hostBounceGBps`);
    node.gpus.forEach(({ hostLink: l }, i) => {
      const g = this.gpuNode.length;
      const f = `gpus[${i}].hostLink`;
      this.gpuNode.push(n);
      this.gpuLink.push(l);
      add(channelIds.h2d(g), l.h2dGBps, `${f}.h2dGBps`);
      add(channelIds.d2h(g), l.d2hGBps, `${f}.d2hGBps`);
      positive(l.bidirectionalGBpsPerDirection, `nodes[${n}].${f}.bidirectionalGBpsPerDirection`);
      positive(l.pageableGBps, `nodes[${n}].${f}.pageableGBps`);
      nonNegative(l.latencyUs, `nodes[${n}].${f}.latencyUs`);
      this.duplexCouplings.push({ a: channelIds.h2d(g), b: channelIds.d2h(g), bidirectionalBytesPerSPerDirection: l.bidirectionalGBpsPerDirection * GB });
      if (node.nvlink) {
        add(channelIds.nvlinkTx(g), node.nvlink.perDirectionGBps, 'nvlink.perDirectionGBps');
        add(channelIds.nvlinkRx(g), node.nvlink.perDirectionGBps, 'nvlink.perDirectionGBps');
      }
    });
    if (node.nvlink) nonNegative(node.nvlink.latencyUs, `nodes[${n}].nvlink.latencyUs`);
    if (node.nic) {
      add(channelIds.nicTx(n), node.nic.perDirectionGBps, 'nic.perDirectionGBps');
      add(channelIds.nicRx(n), node.nic.perDirectionGBps, 'nic.perDirectionGBps');
      nonNegative(node.nic.latencyUs, `nodes[${n}].nic.latencyUs`);
    }
    (node.disks ?? []).forEach((disk, i) => {
      const d = this.diskNode.length;
      this.diskNode.push(n);
      this.diskLatencyS.push(disk.latencyUs * US);
      add(channelIds.diskRead(d), disk.readGBps, `disks[${i}].readGBps`);
      add(channelIds.diskWrite(d), disk.writeGBps, `disks[${i}].writeGBps`);
      nonNegative(disk.latencyUs, `nodes[${n}].disks[${i}].latencyUs`);
    });
  }
}

function join(hops: readonly Hop[], via: Route['via']): Route {
  return { path: hops.flatMap((h) => h.path), latencyS: hops.reduce((s, h) => s + h.latencyS, 0), via };
}

function describe(e: Endpoint): string {
  return 'gpu' in e ? `gpu${e.gpu}` : 'disk' in e ? `disk${e.disk}` : `host of node${e.host}`;
}

function positive(v: number, field: string): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`Topology ${field} must be a positive number, got ${v}`);
}

function nonNegative(v: number, field: string): void {
  if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`Topology ${field} must be >= 0, got ${v}`);
}
