/**
 * The machine a deployment runs on, from the scenario: instances are placed in pool order, `tp`
 * GPUs each, `gpusPerNode` per node; every GPU gets its profile's host link (or the topology's
 * override), a node gets NVLink only when every GPU on it has one and `nvlink` is on, one host
 * memory, one disk, and a NIC. With `sharedGpu` every instance is placed on GPUs 0..tp-1 of node 0
 * (reference A: two vLLM instances on one laptop GPU; shared-gpu-check.ts holds the rules). Link profiles map onto topology channels as catalog.ts describes
 * (`h2dGBps ?? pinnedGBpsPerDirection`, ...).
 */
import { atPointer, UserError } from '../../errors.js';
import type { NodeSpec, HostLinkSpec, TopologySpec } from '../../hardware/topology.js';
import { loadDisk, loadHost, loadLink } from '../../model/catalog.js';
import type { GpuProfile } from '../../model/gpu.js';
import type { LinkProfile } from '../../model/link.js';
import type { Scenario } from '../schema.js';
import { scenarioMessages } from '../../messages/scenario.js';

export interface Placement {
  /** Machine-wide GPU indices of each instance, per pool: gpus[pool][instance] = [gpu...]. */
  gpus: number[][][];
  gpusPerNode: number;
  nodes: number;
}

export interface Machine {
  spec: TopologySpec;
  placement: Placement;
  hostMemoryCapacityGiB: number;
}

export function hostLinkSpec(l: LinkProfile): HostLinkSpec {
  return {
    h2dGBps: l.h2dGBps ?? l.pinnedGBpsPerDirection,
    d2hGBps: l.d2hGBps ?? l.pinnedGBpsPerDirection,
    bidirectionalGBpsPerDirection: l.bidirectionalGBpsPerDirection,
    pageableGBps: l.pageableGBps ?? l.pinnedGBpsPerDirection,
    latencyUs: l.latencyUs,
  };
}


export function buildMachine(sc: Scenario, file: string, gpus: GpuProfile[], modelsDir?: string): Machine {
  const topo = sc.deployment.topology;
  const gpusPerNode = topo?.gpusPerNode ?? 8;
  const useNvlink = topo?.nvlink ?? true;
  const placement: Placement = { gpus: [], gpusPerNode, nodes: 0 };
  const gpuProfiles: GpuProfile[] = [];
  let next = 0;
  const shared = topo?.sharedGpu === true;
  sc.deployment.pools.forEach((p, i) => {
    if (p.tp > gpusPerNode) {
      throw new UserError(scenarioMessages.tpSpansNodes(p.tp, gpusPerNode), file, `/deployment/pools/${i}/tp`);
    }
    const pool: number[][] = [];
    for (let k = 0; k < p.instances; k++) {
      if (shared) {
        // Every instance on the same GPUs: no new GPU, never a silently added one.
        pool.push(Array.from({ length: p.tp }, (_, j) => j));
        for (let j = 0; j < p.tp; j++) gpuProfiles[j] = gpus[i]!;
        next = Math.max(next, p.tp);
        continue;
      }
      // An instance never straddles two nodes: skip to the next node when it would.
      if (Math.floor(next / gpusPerNode) !== Math.floor((next + p.tp - 1) / gpusPerNode)) next = Math.ceil(next / gpusPerNode) * gpusPerNode;
      const ids = Array.from({ length: p.tp }, (_, j) => next + j);
      for (const g of ids) gpuProfiles[g] = gpus[i]!;
      pool.push(ids);
      next += p.tp;
    }
    placement.gpus.push(pool);
  });
  placement.nodes = Math.ceil(next / gpusPerNode);
  const declared = topo?.nodes ?? 1;
  if (placement.nodes > declared) {
    // Never a silently added node or GPU: the user said how many there are.
    const asked = sc.deployment.pools.map((p) => `${p.instances} x tp ${p.tp}`).join(' + ');
    throw new UserError(scenarioMessages.tooFewNodes(placement.nodes, gpusPerNode, asked, declared), file, '/deployment/topology/gpusPerNode');
  }
  const host = atPointer(file, '/deployment/topology/hostMemory', () => loadHost(topo?.hostMemory ?? 'server-ddr5', modelsDir));
  const disk = atPointer(file, '/deployment/topology/disk', () => loadDisk(topo?.disk ?? 'nvme-gen4', modelsDir));
  const nic = atPointer(file, '/deployment/topology/nic', () => loadLink(topo?.nic ?? 'ib-ndr', modelsDir));
  const nodes: NodeSpec[] = [];
  for (let n = 0; n < placement.nodes; n++) {
    const ids: number[] = [];
    for (let g = n * gpusPerNode; g < Math.min(next, (n + 1) * gpusPerNode); g++) ids.push(g);
    const links = ids.map((g) => {
      const prof = gpuProfiles[g];
      // Holes (an instance skipped to the next node) get the first GPU's link; nothing is placed there.
      const id = topo?.hostLink ?? (prof ?? gpus[0]!).hostLink;
      return atPointer(file, topo?.hostLink ? '/deployment/topology/hostLink' : '/deployment/pools', () => loadLink(id, modelsDir));
    });
    const nvIds = ids.map((g) => gpuProfiles[g]?.nvlink ?? null);
    let nvlink: NodeSpec['nvlink'];
    if (useNvlink && nvIds.length > 1 && nvIds.every((x) => x !== null)) {
      const nv = atPointer(file, '/deployment/pools', () => loadLink(nvIds[0]!, modelsDir));
      nvlink = { perDirectionGBps: nv.pinnedGBpsPerDirection, latencyUs: nv.latencyUs };
    }
    const bounce = links.map((l) => l.hostBounceGBps).filter((x): x is number => x !== undefined);
    nodes.push({
      gpus: links.map((l) => ({ hostLink: hostLinkSpec(l) })),
      nvlink,
      p2pOverPcie: topo?.p2pOverPcie ?? false,
      hostBounceGBps: bounce.length > 0 ? Math.min(...bounce) : undefined,
      nic: { perDirectionGBps: nic.pinnedGBpsPerDirection, latencyUs: nic.latencyUs },
      hostMemoryGBps: host.bandwidthGBps,
      disks: [{ readGBps: disk.readGBps, writeGBps: disk.writeGBps, latencyUs: disk.latencyUs }],
    });
  }
  return { spec: { nodes }, placement, hostMemoryCapacityGiB: host.capacityGiB };
}
