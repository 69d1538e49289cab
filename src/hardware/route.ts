/** The two shapes topology.ts and non-binding.ts share (kept apart so neither imports the other back). */

/** Where bytes sit: a GPU's memory, a node's host DRAM, or a disk (indices are machine-wide). */
export type Endpoint = { gpu: number } | { host: number } | { disk: number };

/** What `path` returns; spreads straight into FlowNetwork.startFlow. */
export interface Route {
  path: string[];
  latencyS: number;
  rateCapBytesPerS?: number;
  /** How the copy goes, for reports. */
  via: 'local' | 'nvlink' | 'pcie-p2p' | 'host-bounce' | 'rdma' | 'host';
}
