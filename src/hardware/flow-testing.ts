/**
 * The staging topology the flow tests share: a GPU's PCIe link as two 25 GB/s directions coupled
 * to 13.5 GB/s together, and a 40 GB/s host-memory channel between them; `extra` channels (a disk,
 * a NIC) are added after those, before the coupling, in the order given.
 */
import type { FlowNetwork } from './flow-network.js';

const GB = 1e9;

export function addStagingChannels(net: FlowNetwork, extra: readonly (readonly [name: string, bytesPerS: number])[] = []): void {
  net.addChannel('up', 25 * GB);
  net.addChannel('mem', 40 * GB);
  net.addChannel('down', 25 * GB);
  for (const [name, bytesPerS] of extra) net.addChannel(name, bytesPerS);
  net.coupleDuplex('up', 'down', 13.5 * GB);
}
