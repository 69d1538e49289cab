/**
 * Contract suite for every KvConnector (none, tiers, and the P/D roles around each): a request with
 * nothing to load is admitted as usual without taking blocks, nothing is busy before a load starts,
 * a loaded request takes exactly the GPU blocks its KV and first chunk need and gives back its
 * prefix-hit references on failure, and the role wrappers change only their role's flag.
 */
import { describe, expect, it } from 'vitest';
import { FlowNetwork } from '../../hardware/flow-network.js';
import { Topology } from '../../hardware/topology.js';
import { Simulator } from '../../kernel/simulator.js';
import { BlockManager } from '../../kv/block-manager.js';
import { KvTiers } from '../kv-tiers.js';
import { RequestState } from '../request-state.js';
import { connectorForRole, NoKvConnector, TiersKvConnector, type KvConnector } from './index.js';

const cfg = { blockSizeTokens: 4, enablePrefixCaching: true, enableChunkedPrefill: true };

function tiers(sim: Simulator): KvTiers {
  const topo = new Topology({
    nodes: [{ gpus: [{ hostLink: { h2dGBps: 10, d2hGBps: 10, bidirectionalGBpsPerDirection: 5, pageableGBps: 5, latencyUs: 10 } }], p2pOverPcie: false, hostMemoryGBps: 100, disks: [] }],
  });
  const net = new FlowNetwork(sim);
  topo.install(net);
  return new KvTiers(sim, net, { d2h: [topo.path({ gpu: 0 }, { host: 0 })], h2d: [topo.path({ host: 0 }, { gpu: 0 })] }, { instance: 'r0', blockSizeTokens: 4, blockBytes: 1e6, cpuBlocks: 100, diskBlocks: 0, swapBlocks: 10 });
}

type Make = (sim: Simulator, blocks: BlockManager, ready: () => void) => { c: KvConnector; t?: KvTiers };
const base: [string, Make][] = [
  ['none', () => ({ c: new NoKvConnector() })],
  ['tiers', (sim, blocks, ready) => {
    const t = tiers(sim);
    return { c: new TiersKvConnector(t, { cfg, blocks }, ready), t };
  }],
];
const all: [string, 'colocated' | 'prefill' | 'decode', Make][] = base.flatMap(([n, make]) => (['colocated', 'prefill', 'decode'] as const).map((role) => [`${n} as ${role}`, role, make] as [string, 'colocated' | 'prefill' | 'decode', Make]));

describe.each(all)('KvConnector contract: %s', (_n, role, make) => {
  const setup = () => {
    const sim = new Simulator();
    const blocks = new BlockManager(50, 4);
    let readies = 0;
    const { c: inner, t } = make(sim, blocks, () => readies++);
    return { sim, blocks, c: connectorForRole(role, inner), inner, t, readies: () => readies };
  };
  it('a request with nothing outside the GPU to load is admitted as usual, taking no blocks', () => {
    const { c, blocks } = setup();
    const r = new RequestState({ id: 1, arrivalS: 0, promptTokens: 20, outputTokens: 3 }, [1, 2, 3, 4, 5]);
    expect(c.isBusy(r)).toBe(false);
    expect(c.admit(r, 64)).toBe('go');
    expect(blocks.usedBlocks).toBe(0);
    expect(c.saveOnPreempt(r, 0)).toBe(false); // nothing computed: nothing to save
  });
  it('role flags: only a prefill leaves after its prompt, only a decode or a loader lets holders pass', () => {
    const { c, inner } = setup();
    expect(c.leavesAfterPrefill).toBe(role === 'prefill');
    expect(c.waitingMayHoldBlocks).toBe(role === 'decode' || inner.loadsKv);
    expect(c.loadsKv).toBe(inner.loadsKv);
  });
  it('a tier hit allocates the blocks for the loaded KV and first chunk, is busy until it lands, then ready', () => {
    const { c, t, blocks, sim, readies } = setup();
    if (t === undefined) return; // none: nothing to load (covered above)
    t.store!.store([1, 2, 3, 4, 5]);
    const r = new RequestState({ id: 2, arrivalS: 0, promptTokens: 20, outputTokens: 3 }, [1, 2, 3, 4, 5]);
    expect(c.admit(r, 64)).toBe('busy');
    // 4 blocks loaded (the last token is always computed) + the block of the 4-token first chunk.
    expect(blocks.usedBlocks).toBe(5);
    expect(c.isBusy(r)).toBe(true);
    sim.run();
    expect(readies()).toBe(1);
    expect(c.isBusy(r)).toBe(false);
    expect(r.numComputed).toBe(16);
  });
});
