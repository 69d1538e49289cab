/**
 * Links, host memory and disks as data (models/link, models/host, models/disk). Each profile keeps
 * the theoretical rate next to the measured effective one, because the simulator runs on the
 * measured rate and a reader should see how far below the datasheet it is. All rates are GB/s
 * (1e9 B/s) per direction unless the name says otherwise.
 */

export type LinkKind = 'pcie' | 'nvlink' | 'network';

export interface LinkProfile {
  id: string;
  name: string;
  kind: LinkKind;
  /** Signalling rate after encoding, one direction (PCIe Gen4 x16: 31.5). */
  theoreticalGBpsPerDirection: number;
  /**
   * Measured effective rate of one transfer in one direction: pinned-memory H2D/D2H copies for PCIe,
   * GPU-to-GPU copies (or NIC throughput) for NVLink and networks.
   */
  pinnedGBpsPerDirection: number;
  /** Device-to-host rate where measurements differ from host-to-device. */
  d2hGBps?: number;
  /** Host-to-device rate where measurements differ from device-to-host. */
  h2dGBps?: number;
  /**
   * Per-direction rate while both directions carry traffic. Equal to pinnedGBpsPerDirection when no
   * penalty was measured; PCIe root complexes measurably lose bandwidth here (hardware.md Table 2).
   */
  bidirectionalGBpsPerDirection: number;
  /** PCIe only: copies from/to pageable host memory (staged through a driver bounce buffer, not async). */
  pageableGBps?: number;
  /** PCIe only: GPU-to-GPU copies bounced through host memory when P2P is off, per direction. */
  hostBounceGBps?: number;
  /** Fixed cost of one transfer (setup, DMA start, protocol), microseconds. */
  latencyUs: number;
  /** Both directions have their own lanes; the bidirectional rate above captures the shared-resource penalty. */
  fullDuplex: boolean;
  sources: string[];
}

export interface HostMemoryProfile {
  id: string;
  name: string;
  /** Channels x transfer rate x 8 bytes. */
  theoreticalGBps: number;
  /** Sustained (STREAM-like) bandwidth the simulator uses. */
  bandwidthGBps: number;
  /** Default capacity when a scenario does not give one. */
  capacityGiB: number;
  sources: string[];
}

export interface DiskProfile {
  id: string;
  name: string;
  /** Sequential read rate, GB/s. */
  readGBps: number;
  /** Sequential write rate, GB/s. */
  writeGBps: number;
  /** Latency of one small I/O, microseconds. */
  latencyUs: number;
  sources: string[];
}
