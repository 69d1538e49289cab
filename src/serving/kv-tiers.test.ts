import { describe, expect, it, vi } from 'vitest';
import { HashBlockKeys } from '../kv/hash-block-keys.js';
import { FlowNetwork } from '../hardware/flow-network.js';
import { Topology } from '../hardware/topology.js';
import { Simulator } from '../kernel/simulator.js';
import { MemoryRecordWriter } from '../run/record-writer.js';
import { runSimulation } from '../run/simulation.js';
import { resolveScenario, type LoadedScenario } from '../scenario/load.js';
import { EngineInstance, type InstanceConfig } from './instance.js';
import { KvTiers, type KvTiersConfig, type TierOccupancyRow } from './kv-tiers.js';
import { swapFigures, tierFigures } from '../metrics/kv-tiers-summary.js';
import { RequestState } from './request-state.js';
import { LinearPerfModel, RecordingSink } from './testing.js';

const cfg = (over: Partial<InstanceConfig> = {}): InstanceConfig => ({
  name: 'r0', role: 'colocated', maxNumSeqs: 8, maxNumBatchedTokens: 64, blockSizeTokens: 4, numGpuBlocks: 1000,
  maxModelLen: 4096, enableChunkedPrefill: true, enablePrefixCaching: true, prefillOrder: 'fcfs', fastForward: false, ...over,
});

/** One GPU on a 10 GB/s (each way) host link with 10 us latency; host DRAM and disk far from binding. */
function machine(sim: Simulator, tiers: Partial<KvTiersConfig>) {
  const topo = new Topology({
    nodes: [{
      gpus: [{ hostLink: { h2dGBps: 10, d2hGBps: 10, bidirectionalGBpsPerDirection: 5, pageableGBps: 5, latencyUs: 10 } }],
      p2pOverPcie: false, hostMemoryGBps: 100, disks: [{ readGBps: 2, writeGBps: 1, latencyUs: 100 }],
    }],
  });
  const net = new FlowNetwork(sim);
  topo.install(net);
  const t = new KvTiers(sim, net, {
    d2h: [topo.path({ gpu: 0 }, { host: 0 })], h2d: [topo.path({ host: 0 }, { gpu: 0 })],
    toDisk: topo.path({ host: 0 }, { disk: 0 }), fromDisk: topo.path({ disk: 0 }, { host: 0 }),
  }, { instance: 'r0', blockSizeTokens: 4, blockBytes: 1e6, cpuBlocks: 100, diskBlocks: 0, swapBlocks: 0, ...tiers });
  return { topo, net, tiers: t };
}

describe('KV tiers (hand-computed)', () => {
  // Prompt of 20 tokens = 5 full blocks of 4; prefill costs 1 ms + 0.1 ms per new token.
  const keys = HashBlockKeys.of([11, 12, 13, 14, 15]);

  function oneHit(competingBytes: number) {
    const sim = new Simulator();
    const sink = new RecordingSink();
    const { tiers, net, topo } = machine(sim, {});
    const held = tiers.store!.offload(keys, 0, keys.length); // the CPU tier holds the whole prompt (an earlier request offloaded it)
    tiers.store!.land(held.written); // and its bytes have landed
    const inst = new EngineInstance(cfg(), sim, new LinearPerfModel(1, 0.1), sink);
    inst.attachKvTiers(tiers);
    const req = new RequestState({ id: 0, arrivalS: 0, promptTokens: 20, outputTokens: 2 }, keys);
    sim.scheduleAt(0, () => {
      if (competingBytes > 0) net.startFlow({ ...topo.path({ host: 0 }, { gpu: 0 }), bytes: competingBytes, latencyS: 0, tag: 'kv transfer' });
      inst.submit(req);
    });
    sim.run();
    return { sink, req, tiers, inst };
  }

  it('loads a CPU-tier prefix hit H2D before prefill: wait = latency + bytes / H2D rate', () => {
    const { sink, req, tiers, inst } = oneHit(0);
    // The last token is always computed: 4 of 5 blocks are loaded, 4 x 1 MB at 10 GB/s after 10 us.
    const loadS = 10e-6 + 4e6 / 10e9; // 0.41 ms
    expect(sink.iterations[0]!.startS).toBeCloseTo(loadS, 12);
    expect(sink.iterations[0]!.newTokens).toBe(4);
    // Then a prefill of the 4 remaining tokens: 1 + 0.1 x 4 = 1.4 ms.
    expect(req.firstTokenS).toBeCloseTo(loadS + 1.4e-3, 12);
    expect(req.cachedPromptTokens).toBe(16); // loaded tokens count as cached (external prefix hits)
    const s = tierFigures(tiers.counters(1))!;
    expect(s.cpu.hit_blocks).toBe(4);
    expect(s.cpu.bytes_h2d).toBe(4e6);
    expect(s.loads.count).toBe(1);
    expect(s.loads.mean_wait_ms).toBeCloseTo(loadS * 1000, 9);
    expect(sink.finished[0]!.generated).toBe(2);
    inst.blocks.checkConservation();
    tiers.checkConservation();
  });

  it('without the tier the whole prompt is computed (3 ms); a KV transfer on the same H2D link slows the load', () => {
    const sim = new Simulator();
    const sink = new RecordingSink();
    const inst = new EngineInstance(cfg(), sim, new LinearPerfModel(1, 0.1), sink);
    const req = new RequestState({ id: 0, arrivalS: 0, promptTokens: 20, outputTokens: 2 }, keys);
    sim.scheduleAt(0, () => inst.submit(req));
    sim.run();
    expect(req.firstTokenS).toBeCloseTo(3e-3, 12);

    // A 4 MB transfer starts on H2D at 0 (no latency): alone for 10 us (1e5 B), then both at 5 GB/s
    // until it ends at 10 + 3.9e6/5e9 s = 790 us; the load then has 1e5 B left at 10 GB/s: 800 us.
    const { sink: s2 } = oneHit(4e6);
    expect(s2.iterations[0]!.startS).toBeCloseTo(800e-6, 12);
  });

  it('offloads prompt blocks D2H once the prompt is computed, and a later request hits them after GPU eviction', () => {
    const sim = new Simulator();
    const sink = new RecordingSink();
    const { tiers } = machine(sim, {});
    // 7 GPU blocks of 4 tokens: request 1 (other prefix, 7 blocks) evicts all of request 0's cached blocks.
    const inst = new EngineInstance(cfg({ numGpuBlocks: 7 }), sim, new LinearPerfModel(1, 0.1), sink);
    inst.attachKvTiers(tiers);
    const r0 = new RequestState({ id: 0, arrivalS: 0, promptTokens: 20, outputTokens: 2 }, keys);
    const r1 = new RequestState({ id: 1, arrivalS: 0.1, promptTokens: 24, outputTokens: 2 }, HashBlockKeys.of([21, 22, 23, 24, 25, 26]));
    const r2 = new RequestState({ id: 2, arrivalS: 0.2, promptTokens: 20, outputTokens: 2 }, keys);
    for (const r of [r0, r1, r2]) sim.scheduleAt(r.spec.arrivalS, () => inst.submit(r));
    sim.run();
    // r0's store: 5 blocks D2H, starting when its first token is sampled (3 ms).
    const s = tierFigures(tiers.counters(1))!;
    expect(s.cpu.stored_blocks).toBe(5 + 6);
    expect(s.cpu.bytes_d2h).toBe(11e6);
    expect(s.gpu_hit_tokens).toBe(0); // r1 took r0's evictable GPU blocks
    expect(s.cpu.hit_blocks).toBe(4);
    expect(r2.cachedPromptTokens).toBe(16);
    expect(r2.firstTokenS! - 0.2).toBeCloseTo(10e-6 + 4e6 / 10e9 + 1.4e-3, 12);
    inst.blocks.checkConservation();
    tiers.checkConservation();
  });

  it('disk tier: a block demoted to disk is read back (disk -> CPU -> GPU) before prefill', () => {
    const sim = new Simulator();
    const sink = new RecordingSink();
    const { tiers } = machine(sim, { cpuBlocks: 4, diskBlocks: 10 });
    const inst = new EngineInstance(cfg({ numGpuBlocks: 7 }), sim, new LinearPerfModel(1, 0.1), sink);
    inst.attachKvTiers(tiers);
    const r0 = new RequestState({ id: 0, arrivalS: 0, promptTokens: 20, outputTokens: 2 }, keys);
    const r1 = new RequestState({ id: 1, arrivalS: 0.1, promptTokens: 24, outputTokens: 2 }, HashBlockKeys.of([21, 22, 23, 24, 25, 26]));
    const r2 = new RequestState({ id: 2, arrivalS: 0.2, promptTokens: 20, outputTokens: 2 }, keys);
    for (const r of [r0, r1, r2]) sim.scheduleAt(r.spec.arrivalS, () => inst.submit(r));
    sim.run();
    // r1's 6 blocks pushed all of r0's to disk (CPU holds 4): r2 reads 4 blocks from disk at 2 GB/s
    // (after 100 us), then H2D at 10 GB/s (after 10 us).
    const t = tierFigures(tiers.counters(1))!;
    const s = { ...t, disk: t.disk! };
    expect(s.disk.hit_blocks).toBe(4);
    expect(s.cpu.hit_blocks).toBe(0);
    expect(s.disk.bytes_read).toBe(4e6);
    const loadS = 100e-6 + 4e6 / 2e9 + 10e-6 + 4e6 / 10e9;
    expect(r2.firstTokenS! - 0.2).toBeCloseTo(loadS + 1.4e-3, 9);
    tiers.checkConservation();
  });

  it('swap preemption: KV goes D2H and back H2D; nothing is recomputed and every token is produced once', () => {
    const run = (swap: boolean) => {
      const sim = new Simulator();
      const sink = new RecordingSink();
      const { tiers } = machine(sim, { cpuBlocks: 0, swapBlocks: swap ? 100 : 0 });
      // 12 blocks of 4 tokens = 48 tokens of KV; three requests of 8 prompt + 12 output need 60.
      const inst = new EngineInstance(cfg({ numGpuBlocks: 12, enablePrefixCaching: false }), sim, new LinearPerfModel(1, 0.1), sink);
      inst.attachKvTiers(tiers);
      for (let id = 0; id < 3; id++) sim.scheduleAt(0, () => inst.submit(new RequestState({ id, arrivalS: 0, promptTokens: 8, outputTokens: 12 }, HashBlockKeys.EMPTY)));
      sim.run();
      return { sink, inst, tiers };
    };
    const { sink, inst, tiers } = run(true);
    expect(sink.preemptions).toBeGreaterThan(0);
    expect(sink.finished.map((f) => f.generated)).toEqual([12, 12, 12]);
    expect(sink.finished.every((f) => f.error === undefined)).toBe(true);
    expect(sink.tokensTotal).toBe(36);
    // Tokens computed: each request's 8 prompt tokens once, then 11 decode steps: no recompute.
    expect(sink.iterations.reduce((a, i) => a + i.newTokens, 0)).toBe(3 * (8 + 11));
    const s = swapFigures(tiers.counters(1))!;
    expect(s.swap_outs).toBe(sink.preemptions);
    expect(s.swap_ins).toBe(s.swap_outs);
    expect(s.bytes_in).toBe(s.bytes_out);
    expect(s.recompute_fallbacks).toBe(0);
    expect(tiers.c.swapUsed).toBe(0);
    inst.blocks.checkConservation();
    expect(inst.blocks.freeBlocks).toBe(12);
    tiers.checkConservation();
    // Recompute, for contrast, computes more tokens than that.
    const rc = run(false);
    expect(rc.sink.iterations.reduce((a, i) => a + i.newTokens, 0)).toBeGreaterThan(3 * (8 + 11));
    expect(rc.sink.tokensTotal).toBe(36);
  });

  it('occupancy series: a row per tier and change, every other change dropped past 20,000 rows (as a list of rows would be)', () => {
    for (const diskBlocks of [0, 30]) {
      const sim = new Simulator();
      const { tiers } = machine(sim, { cpuBlocks: 20, diskBlocks });
      const store = tiers.store!;
      // The reference: the row list the series was before it became columns, thinned the same way.
      const ref: TierOccupancyRow[] = [];
      const per = diskBlocks > 0 ? 2 : 1;
      const n = 21_000 / per + 5;
      for (let k = 0; k < n; k++) {
        const r = new RequestState({ id: k, arrivalS: 0, promptTokens: 8, outputTokens: 1 }, HashBlockKeys.of([2 * k + 1, 2 * k + 2]));
        sim.scheduleAt(k * 0.01, () => { // 10 ms apart: each flow (2 MB, disk 1 GB/s) lands before the next
          tiers.offloadPrompt(r, sim.now);
          ref.push({ tS: sim.now, tier: 'cpu r0', occupancy: store.cpuHeld / 20 });
          if (diskBlocks > 0) ref.push({ tS: sim.now, tier: 'disk r0', occupancy: store.diskHeld / diskBlocks });
          if (ref.length > 20_000) {
            let w = 0;
            for (let i = 0; i < ref.length; i++) if (Math.floor(i / per) % 2 === 0) ref[w++] = ref[i]!;
            ref.length = w;
          }
        });
      }
      sim.run();
      expect(ref.length).toBeLessThan(n * per); // thinned at least once
      expect(tiers.series).toEqual(ref);
      expect(ref.some((row) => row.occupancy > 0 && row.occupancy < 1)).toBe(true);
    }
  });

  it('swap area full: falls back to recompute and counts it', () => {
    const sim = new Simulator();
    const sink = new RecordingSink();
    const { tiers } = machine(sim, { cpuBlocks: 0, swapBlocks: 1 });
    const inst = new EngineInstance(cfg({ numGpuBlocks: 12, enablePrefixCaching: false }), sim, new LinearPerfModel(1, 0.1), sink);
    inst.attachKvTiers(tiers);
    for (let id = 0; id < 3; id++) sim.scheduleAt(0, () => inst.submit(new RequestState({ id, arrivalS: 0, promptTokens: 8, outputTokens: 12 }, HashBlockKeys.EMPTY)));
    sim.run();
    expect(sink.preemptions).toBeGreaterThan(0);
    expect(tiers.c.swapFallbacks).toBe(sink.preemptions);
    expect(sink.finished.map((f) => f.generated)).toEqual([12, 12, 12]);
    tiers.checkConservation();
  });
});

/** Deterministic pseudo-random numbers for the randomized runs. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function tierScenario(seed: number, edit?: (engine: Record<string, unknown>) => void, tp = 1): LoadedScenario {
  const rnd = lcg(seed * 7919 + 1);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const chunked = rnd() < 0.7;
  const swap = rnd() < 0.5;
  const raw = {
    name: `tiers-${seed}`, seed, model: 'qwen2.5-1.5b-instruct',
    engine: {
      maxNumSeqs: pick([4, 16, 64]), maxNumBatchedTokens: chunked ? pick([256, 1024, 2048]) : 2048, maxModelLen: 2048,
      numGpuBlocks: pick([130, 200, 400]), enableChunkedPrefill: chunked, enablePrefixCaching: rnd() < 0.8,
      kvOffloadingGiB: pick([0, 0.01, 0.05, 0.5]), kvDiskGiB: 0, preemptionMode: swap ? 'swap' : 'recompute', swapSpaceGiB: swap ? pick([0.005, 0.05, 1]) : 0,
    },
    deployment: { pools: [{ role: 'colocated', gpu: 'rtx-2080-super-maxq', instances: pick([1, 2]) }], router: { policy: pick(['round-robin', 'least-loaded']) }, topology: { gpusPerNode: 2, hostLink: 'pcie-gen3-x16', hostMemory: 'laptop-ddr4', disk: 'nvme-gen3' } },
    workload: {
      requests: 120, arrival: { process: 'poisson', rate: pick([2, 6, 15]) },
      input: { dist: 'uniform', min: 20, max: 1800 }, output: { dist: 'uniform', min: 1, max: 240 },
      prefixSharing: { sharedPrefixTokens: pick([128, 512, 1024]), groups: pick([2, 8, 30]) },
    },
  };
  if (raw.engine.kvOffloadingGiB > 0 && rnd() < 0.5) raw.engine.kvDiskGiB = pick([0.01, 0.2]);
  if (raw.engine.kvOffloadingGiB === 0 && !swap) raw.engine.kvOffloadingGiB = 0.02;
  edit?.(raw.engine);
  // TP > 1: one instance over both GPUs of the node, each tier move one flow per rank (one Move, `tp` flows).
  if (tp > 1) Object.assign(raw.deployment.pools[0]!, { instances: 1, tp });
  return { scenario: resolveScenario(raw, 'test.yaml'), file: 'test.yaml', baseDir: process.cwd() };
}

describe('KV tiers (randomized, colocated)', () => {
  for (let seed = 1; seed <= Number(process.env.KVT_SEEDS ?? 12); seed++) {
    it(`seed ${seed}: blocks conserved across GPU and tiers, bytes on the links match, every request completes or fails with a reason`, async () => {
      const w = new MemoryRecordWriter();
      const r = await runSimulation(tierScenario(seed), { writer: w });
      expect(w.records).toHaveLength(120);
      for (const rec of w.records) {
        if (rec.finishS === null) expect(typeof rec.error).toBe('string');
        else expect(rec.outputTokens).toBeGreaterThan(0);
      }
      expect((r.summary.completed as number) + (r.summary.failed as number)).toBe(120);
      const links = (r.summary.pdsim as { links: Record<string, { bytes: number }> }).links;
      r.built.pools[0]!.instances.forEach((inst, k) => {
        inst.blocks.checkConservation();
        expect(inst.blocks.usedBlocks).toBe(0);
        expect(inst.numWaiting + inst.numRunning).toBe(0);
        const t = inst.tiers!;
        t.checkConservation();
        expect(t.inFlight).toEqual({ requests: 0, flows: 0 });
        expect(t.c.swapUsed).toBe(0);
        expect(t.c.swapIns).toBe(t.c.swapOuts);
        expect(t.c.loadsDone).toBe(t.c.loads);
        // Every byte the tiers say they moved crossed that GPU's PCIe link, and only those.
        const rel = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-6 * Math.max(1, b));
        rel(links[`gpu${k}.pcie.d2h`]?.bytes ?? 0, t.c.bytesD2H);
        rel(links[`gpu${k}.pcie.h2d`]?.bytes ?? 0, t.c.bytesH2D);
      });
      const disk = r.built.pools[0]!.instances.reduce((a, i) => a + i.tiers!.c.bytesToDisk, 0);
      expect(Math.abs((links['disk0.write']?.bytes ?? 0) - disk)).toBeLessThanOrEqual(1e-6 * Math.max(1, disk));
    });
  }

  it('fast-forward stays exact with tiers and swap (byte-identical to step by step)', async () => {
    for (const seed of [2, 5, 9]) {
      const a = new MemoryRecordWriter();
      const b = new MemoryRecordWriter();
      const fast = await runSimulation(tierScenario(seed), { writer: a, fastForward: true });
      const slow = await runSimulation(tierScenario(seed), { writer: b, fastForward: false });
      const strip = (s: Record<string, unknown>) => JSON.stringify({ ...s, pdsim: { ...(s.pdsim as object), simulated_events: 0 } });
      expect(strip(fast.summary)).toBe(strip(slow.summary));
      expect(JSON.stringify(a.records)).toBe(JSON.stringify(b.records));
      expect(JSON.stringify(fast.series.tiers)).toBe(JSON.stringify(slow.series.tiers));
    }
  });
});

describe('KV tiers ahead of the clock', () => {
  // Without swap an engine with tiers completes iterations ahead of the clock (runsAheadOk): its tier
  // calls carry its own time and the flows they start are held to it. Step by step is the reference.
  const noSwap = (disk: boolean) => (e: Record<string, unknown>) => {
    e.preemptionMode = 'recompute';
    e.swapSpaceGiB = 0;
    if (!((e.kvOffloadingGiB as number) > 0)) e.kvOffloadingGiB = 0.05;
    e.kvDiskGiB = disk ? 0.2 : 0;
  };
  /** Runs the seed's no-swap tier scenario fast and step by step and checks summary (less the event count), records and tier series equal. */
  const fastEqualsSlow = async (seed: number, tp = 1) => {
    const sc = () => tierScenario(seed, noSwap(seed % 2 === 1), tp);
    const a = new MemoryRecordWriter();
    const b = new MemoryRecordWriter();
    const fast = await runSimulation(sc(), { writer: a, fastForward: true });
    const slow = await runSimulation(sc(), { writer: b, fastForward: false });
    const strip = (s: Record<string, unknown>) => JSON.stringify({ ...s, pdsim: { ...(s.pdsim as object), simulated_events: 0 } });
    expect(strip(fast.summary)).toBe(strip(slow.summary));
    expect(JSON.stringify(a.records)).toBe(JSON.stringify(b.records));
    expect(JSON.stringify(fast.series.tiers)).toBe(JSON.stringify(slow.series.tiers));
    return { fast, slow };
  };
  for (const seed of [1, 3, 4, 6, 7, 8]) {
    it(`seed ${seed}${seed % 2 ? ' with a disk tier' : ''}: byte-identical to step by step, in fewer events`, async () => {
      const { fast, slow } = await fastEqualsSlow(seed);
      expect(fast.events).toBeLessThan(slow.events);
      for (const inst of fast.built.pools[0]!.instances) {
        expect(inst.runsAhead()).toBe(true);
        inst.tiers!.checkConservation();
        expect(inst.tiers!.inFlight).toEqual({ requests: 0, flows: 0 });
      }
      // Flows asked for ahead of the clock were entered then (FlowNetwork.startFlowAt), not held.
      expect(fast.built.pools[0]!.instances.reduce((a, i) => a + i.tiers!.flowsAhead, 0)).toBeGreaterThan(10);
    });
  }

  for (const seed of [2, 5]) {
    it(`seed ${seed}, TP 2: each tier move is one flow per rank, byte-identical to step by step, half the bytes on each GPU's link`, async () => {
      const { fast } = await fastEqualsSlow(seed, 2);
      const inst = fast.built.pools[0]!.instances[0]!;
      const t = inst.tiers!;
      t.checkConservation();
      expect(t.inFlight).toEqual({ requests: 0, flows: 0 });
      expect(t.c.storedBlocks).toBeGreaterThan(0);
      expect(t.c.loads).toBeGreaterThan(0);
      const links = (fast.summary.pdsim as { links: Record<string, { bytes: number }> }).links;
      const rel = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-6 * Math.max(1, b));
      for (const g of [0, 1]) {
        rel(links[`gpu${g}.pcie.d2h`]?.bytes ?? 0, t.c.bytesD2H / 2);
        rel(links[`gpu${g}.pcie.h2d`]?.bytes ?? 0, t.c.bytesH2D / 2);
      }
    });
  }

  it('flows the network will not enter ahead are held to the engine\'s time: still byte-identical to step by step', async () => {
    // Tier routes have a latency, so the network enters them all ahead; refusing every one runs the held path.
    const refuse = vi.spyOn(FlowNetwork.prototype, 'startFlowAt').mockReturnValue(null);
    try {
      for (const seed of [3, 4]) {
        const { fast, slow } = await fastEqualsSlow(seed);
        const insts = fast.built.pools[0]!.instances;
        expect(insts.reduce((n, i) => n + i.tiers!.flowsAhead, 0)).toBe(0);
        expect(insts.reduce((n, i) => n + i.tiers!.heldEvents, 0)).toBeGreaterThan(10);
      }
    } finally {
      refuse.mockRestore();
    }
  });
});

describe('KV tiers in scenarios', () => {
  const base = (engine: Record<string, unknown>, workload: Record<string, unknown> = {}) => resolveScenario({
    name: 'lap', seed: 1, model: 'qwen2.5-1.5b-instruct',
    engine: { maxNumSeqs: 32, maxNumBatchedTokens: 2048, gpuMemoryUtilization: 0.55, maxModelLen: 2048, enablePrefixCaching: true, ...engine },
    deployment: { pools: [{ name: 'laptop', role: 'colocated', gpu: 'rtx-2080-super-maxq' }], topology: { gpusPerNode: 1, hostLink: 'pcie-gen3-x16', hostMemory: 'laptop-ddr4', disk: 'nvme-gen3' } },
    workload: { requests: 150, arrival: { process: 'poisson', rate: 1 }, input: { dist: 'uniform', min: 1100, max: 1536 }, output: { dist: 'fixed', value: 32 }, prefixSharing: { sharedPrefixTokens: 1024, groups: 60 }, ...workload },
  }, 'lap.yaml');

  it('a CPU tier turns GPU-evicted prefixes into hits and lowers TTFT; summary and tier series report it', async () => {
    const on = await runSimulation({ scenario: base({ kvOffloadingGiB: 8 }), file: 'lap.yaml', baseDir: '.' }, { writer: new MemoryRecordWriter() });
    const off = await runSimulation({ scenario: base({}), file: 'lap.yaml', baseDir: '.' }, { writer: new MemoryRecordWriter() });
    const t = (on.summary.pdsim as { kv_tiers: Record<string, { cpu: { hit_tokens: number; capacity_blocks: number }; loads: { mean_wait_ms: number } }> }).kv_tiers.laptop0!;
    expect(t.cpu.capacity_blocks).toBe(Math.floor((8 * 2 ** 30) / (16 * 28672)));
    expect(t.cpu.hit_tokens).toBeGreaterThan(0);
    expect(t.loads.mean_wait_ms).toBeGreaterThan(0);
    expect(on.summary.pdsim.prefix_cache_hit_rate as number).toBeGreaterThan(off.summary.pdsim.prefix_cache_hit_rate as number);
    expect(on.summary.median_ttft_ms as number).toBeLessThan(off.summary.median_ttft_ms as number);
    expect(off.summary.pdsim.kv_tiers).toBeUndefined();
    expect(on.series.tiers!.some((r) => r.tier === 'cpu laptop0')).toBe(true);
    expect(off.series.tiers).toBeUndefined();
  });

  it('rejects a disk tier without a CPU tier, and swap without a swap area, naming the field', () => {
    const run = (engine: Record<string, unknown>) => runSimulation({ scenario: base(engine), file: 'lap.yaml', baseDir: '.' }, { writer: new MemoryRecordWriter() });
    return Promise.all([
      expect(run({ kvDiskGiB: 4 })).rejects.toThrow(/kvOffloadingGiB/),
      expect(run({ preemptionMode: 'swap' })).rejects.toThrow(/swapSpaceGiB/),
      expect(run({ kvOffloadingGiB: 64 })).rejects.toThrow(/host memory/),
    ]);
  });

  it('disaggregated: tiers on the prefill pool share the PCIe link with the KV transfers', async () => {
    const sc = resolveScenario({
      name: 'pd', seed: 2, model: 'qwen2.5-1.5b-instruct',
      engine: { maxNumSeqs: 32, maxNumBatchedTokens: 2048, maxModelLen: 2048, enablePrefixCaching: true, numGpuBlocks: 300 },
      deployment: {
        pools: [{ role: 'prefill', gpu: 'l4', engine: { kvOffloadingGiB: 2, kvDiskGiB: 1 } }, { role: 'decode', gpu: 'l4', engine: { preemptionMode: 'swap', swapSpaceGiB: 0.05 } }],
        transfer: { policy: 'whole', path: 'staging' }, topology: { gpusPerNode: 2 },
      },
      workload: { requests: 150, arrival: { process: 'poisson', rate: 6 }, input: { dist: 'uniform', min: 600, max: 1536 }, output: { dist: 'uniform', min: 2, max: 400 }, prefixSharing: { sharedPrefixTokens: 512, groups: 40 } },
    }, 'pd.yaml');
    const w = new MemoryRecordWriter();
    const r = await runSimulation({ scenario: sc, file: 'pd.yaml', baseDir: '.' }, { writer: w });
    expect((r.summary.completed as number) + (r.summary.failed as number)).toBe(150);
    for (const rec of w.records) if (rec.finishS === null) expect(typeof rec.error).toBe('string');
    const p = r.summary.pdsim as { kv_tiers: Record<string, { cpu: { stored_blocks: number } }>; kv_transfer: { count: number }; links: Record<string, { bytes: number }> };
    expect(p.kv_tiers.prefill0!.cpu.stored_blocks).toBeGreaterThan(0);
    expect(p.kv_transfer.count).toBe(r.summary.completed);
    for (const inst of r.built.pools.flatMap((x) => x.instances)) {
      inst.blocks.checkConservation();
      inst.tiers?.checkConservation();
      expect(inst.tiers?.inFlight ?? { requests: 0, flows: 0 }).toEqual({ requests: 0, flows: 0 });
    }
    // The prefill GPU's D2H carries the staging legs and the tier stores.
    const t = r.built.pools[0]!.instances[0]!.tiers!;
    expect(p.links['gpu0.pcie.d2h']!.bytes).toBeGreaterThan(t.c.bytesD2H);
  });
});
