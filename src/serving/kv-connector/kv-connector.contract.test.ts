/**
 * Contract suite for every KvConnector (none, offload, swap, swap around offload, and the P/D roles
 * around each): a request with
 * nothing to load is admitted as usual without taking blocks, nothing is busy before a load starts,
 * a loaded request takes exactly the GPU blocks its KV and first chunk need and gives back its
 * prefix-hit references on failure, and the role wrappers change only their role's flag.
 */
import { HashBlockKeys } from '../../kv/hash-block-keys.js';
import { describe, expect, it } from 'vitest';
import { FlowNetwork } from '../../hardware/flow-network.js';
import { Topology } from '../../hardware/topology.js';
import { Simulator } from '../../kernel/simulator.js';
import { BlockManager } from '../../kv/block-manager.js';
import { KvTiers } from '../kv-tiers.js';
import { RequestState } from '../request-state.js';
import { connectorForRole, NoKvConnector, OffloadKvConnector, SwapKvConnector, tiersConnector, type KvConnector } from './index.js';

const cfg = { blockSizeTokens: 4, enablePrefixCaching: true, enableChunkedPrefill: true };

function tiers(sim: Simulator, sizes: { cpuBlocks: number; swapBlocks: number } = { cpuBlocks: 100, swapBlocks: 10 }): KvTiers {
  const topo = new Topology({
    nodes: [{ gpus: [{ hostLink: { h2dGBps: 10, d2hGBps: 10, bidirectionalGBpsPerDirection: 5, pageableGBps: 5, latencyUs: 10 } }], p2pOverPcie: false, hostMemoryGBps: 100, disks: [] }],
  });
  const net = new FlowNetwork(sim);
  topo.install(net);
  return new KvTiers(sim, net, { d2h: [topo.path({ gpu: 0 }, { host: 0 })], h2d: [topo.path({ host: 0 }, { gpu: 0 })] }, { instance: 'r0', blockSizeTokens: 4, blockBytes: 1e6, diskBlocks: 0, ...sizes });
}

/** The engine side a connector reads; step by step its step time is the clock. */
const eng = (sim: Simulator, blocks: BlockManager) => ({ cfg, blocks, get stepS() { return sim.now; } });

type Make = (sim: Simulator, blocks: BlockManager, ready: () => void) => { c: KvConnector; t?: KvTiers };
const base: [string, Make][] = [
  ['none', () => ({ c: new NoKvConnector() })],
  ['offload', (sim, blocks, ready) => {
    const t = tiers(sim, { cpuBlocks: 100, swapBlocks: 0 });
    return { c: new OffloadKvConnector(t, eng(sim, blocks), ready), t };
  }],
  ['swap', (sim, blocks, ready) => {
    const t = tiers(sim, { cpuBlocks: 0, swapBlocks: 10 });
    return { c: new SwapKvConnector(t, eng(sim, blocks), ready, new NoKvConnector()), t };
  }],
  ['swap around offload', (sim, blocks, ready) => {
    const t = tiers(sim);
    return { c: new SwapKvConnector(t, eng(sim, blocks), ready, new OffloadKvConnector(t, eng(sim, blocks), ready)), t };
  }],
];

it('tiersConnector picks offload, swap, or swap around offload from what the tiers hold', () => {
  const sim = new Simulator();
  const blocks = new BlockManager(50, 4);
  const pick = (cpuBlocks: number, swapBlocks: number) => tiersConnector(tiers(sim, { cpuBlocks, swapBlocks }), eng(sim, blocks), () => {}).name;
  expect([pick(100, 0), pick(0, 10), pick(100, 10)]).toEqual(['offload', 'swap', 'swap+offload']);
});

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
    const r = new RequestState({ id: 1, arrivalS: 0, promptTokens: 20, outputTokens: 3 }, HashBlockKeys.of([1, 2, 3, 4, 5]));
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
    if (t === undefined || t.store === null) return; // none, swap only: nothing to load (covered above)
    const held = t.store!.offload(HashBlockKeys.of([1, 2, 3, 4, 5]), 0, 5);
    t.store!.land(held.written); // as the store's flow landing would: the blocks are ready
    const r = new RequestState({ id: 2, arrivalS: 0, promptTokens: 20, outputTokens: 3 }, HashBlockKeys.of([1, 2, 3, 4, 5]));
    expect(c.admit(r, 64)).toBe('busy');
    // 4 blocks loaded (the last token is always computed) + the block of the 4-token first chunk.
    expect(blocks.usedBlocks).toBe(5);
    expect(c.isBusy(r)).toBe(true);
    sim.run();
    expect(readies()).toBe(1);
    expect(c.isBusy(r)).toBe(false);
    expect(r.numComputed).toBe(16);
  });
  it('a preempted request with computed KV is saved exactly when the connector swaps, and swaps back in before it runs', () => {
    const { c, t, blocks, sim, readies } = setup();
    const r = new RequestState({ id: 3, arrivalS: 0, promptTokens: 8, outputTokens: 3 }, HashBlockKeys.of([1, 2]));
    r.numComputed = 8;
    const swaps = t !== undefined && t.swapEnabled;
    expect(c.saveOnPreempt(r, 2)).toBe(swaps);
    if (!swaps) return;
    sim.run(); // the swap-out lands
    expect(c.admit(r, 64)).toBe('busy');
    // Blocks for the 8 computed tokens and the next chunk (the rest of the prompt is 0 tokens): 2.
    expect(blocks.usedBlocks).toBe(2);
    expect(c.isBusy(r)).toBe(true);
    sim.run();
    expect(readies()).toBe(1);
    expect(c.isBusy(r)).toBe(false);
  });
});
