import { describe, expect, it } from 'vitest';
import { MemoryRecordWriter } from '../../run/record-writer.js';
import { runSimulation } from '../../run/simulation.js';
import { resolveScenario } from '../../scenario/load.js';
import { UserError } from '../../errors.js';

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test fixtures are plain YAML-like objects

/** Reference A's shape: prefill + decode on one RTX 2080 laptop GPU, KV through LMCache on its NVMe. */
function scenario(over: { transfer?: Raw; topology?: Raw; workload?: Raw; pools?: Raw[]; engine?: Raw } = {}): Raw {
  const gpu = 'rtx-2080-super-maxq';
  return {
    name: 't', seed: 1, model: 'qwen2.5-1.5b-instruct',
    engine: { maxNumSeqs: 8, maxNumBatchedTokens: 2048, maxModelLen: 2048, ...over.engine },
    deployment: {
      pools: over.pools ?? [
        { name: 'prefill', role: 'prefill', gpu, engine: { gpuMemoryUtilization: 0.5 } },
        { name: 'decode', role: 'decode', gpu, engine: { gpuMemoryUtilization: 0.5 } },
      ],
      transfer: { policy: 'whole', path: 'disk', ...over.transfer },
      topology: { gpusPerNode: 1, sharedGpu: true, hostLink: 'pcie-gen3-x16', hostMemory: 'laptop-ddr4', disk: 'nvme-gen3', ...over.topology },
    },
    workload: over.workload ?? { requests: 1, arrival: { process: 'all-at-once' }, input: { dist: 'fixed', value: 600 }, output: { dist: 'fixed', value: 4 } },
  };
}

async function run(raw: Raw, fastForward = true) {
  const sc = resolveScenario(structuredClone(raw), 'test.yaml');
  const writer = new MemoryRecordWriter();
  const r = await runSimulation({ scenario: sc, file: 'test.yaml', baseDir: '.' }, { writer, fastForward });
  return { ...r, records: writer.records };
}

function userError(raw: Raw): UserError {
  const p = run(raw);
  return p.then(() => {
    throw new Error('expected a UserError');
  }, (e: unknown) => {
    if (!(e instanceof UserError)) throw e;
    return e;
  }) as unknown as UserError;
}

describe('one-GPU P/D through a shared disk (reference A), one request by hand', () => {
  it('prefill, chunked disk write, disk read, tail recompute and decode add up', async () => {
    const r = await run(scenario());
    const rec = r.records[0]!;
    expect(rec.error).toBeUndefined();
    const [prefill, decode] = r.built.pools.map((p) => p.instances[0]!);
    const fe = r.built.pools[0]!.setup.frontEnd.requestMs / 1000;
    // Qwen2.5-1.5B KV: 28 layers x 2 (K, V) x 2 KV heads x 128 x 2 B = 28,672 B per token.
    const kvPerToken = 28 * 2 * 2 * 128 * 2;
    expect(prefill!.perf.sizes.kvBytesPerTokenPerLayer * 28).toBe(kvPerToken);
    // 600 tokens = two whole 256-token chunks (512 stored) + an 88-token tail LMCache does not store.
    const chunk = 256 * kvPerToken;
    const prefillS = prefill!.perf.iterationMs([{ newTokens: 600, contextTokens: 0 }]) / 1000;
    const pEnd = fe + prefillS;
    expect(rec.prefillFirstTokenS).toBeCloseTo(pEnd, 12);
    // Write: both chunks at prefill end, GPU D2H (12.89) -> DDR4 (38, crossed twice) -> NVMe write 3.3 GB/s,
    // the disk the bottleneck shared by the two flows; latency 10 us (PCIe) + 80 us (NVMe).
    const writeS = 90e-6 + (2 * chunk) / 3.3e9;
    // Read: NVMe read 3.5 GB/s -> DDR4 -> H2D 12.15, same latency.
    const readS = 90e-6 + (2 * chunk) / 3.5e9;
    expect(rec.kvTransferMs).toBeCloseTo((writeS + readS) * 1000, 3); // records round to 1 us
    expect(rec.kvExposedMs).toBeCloseTo((writeS + readS) * 1000, 3);
    expect(rec.kvReservationWaitMs).toBe(0);
    const ready = pEnd + writeS + readS;
    // Decode computes the 88 unstored tokens over the 512 loaded, and samples the client's first token.
    const tailS = decode!.perf.iterationMs([{ newTokens: 88, contextTokens: 512 }]) / 1000;
    expect(rec.firstTokenS).toBeCloseTo(ready + tailS, 9);
    let t = ready + tailS;
    for (let ctx = 600; ctx < 603; ctx++) t += decode!.perf.iterationMs([{ newTokens: 1, contextTokens: ctx }]) / 1000;
    expect(rec.finishS).toBeCloseTo(t, 9);
    const p = r.summary.pdsim as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- summary JSON
    expect(p.kv_transfer.bytes_total).toBe(2 * chunk);
    // Bytes are conserved on every channel: written once, read once.
    expect(p.links['disk0.write'].bytes).toBeCloseTo(2 * chunk, 3);
    expect(p.links['disk0.read'].bytes).toBeCloseTo(2 * chunk, 3);
    expect(p.links['gpu0.pcie.d2h'].bytes).toBeCloseTo(2 * chunk, 3);
    expect(p.links['gpu0.pcie.h2d'].bytes).toBeCloseTo(2 * chunk, 3);
    // One GPU: its busy time is both instances' iterations.
    const busy = (prefill!.busyS + decode!.busyS) / r.collector.lastFinishS;
    expect(p.gpus.gpu0.instance).toBe('prefill0+decode0');
    expect(p.gpus.gpu0.busy_fraction).toBeCloseTo(busy, 6);
    expect(Object.keys(p.gpus)).toEqual(['gpu0']);
  });

  it('a prompt shorter than one chunk stores nothing: decode recomputes it all', async () => {
    const r = await run(scenario({ workload: { requests: 1, arrival: { process: 'all-at-once' }, input: { dist: 'fixed', value: 200 }, output: { dist: 'fixed', value: 2 } } }));
    const rec = r.records[0]!;
    const decode = r.built.pools[1]!.instances[0]!;
    expect(rec.kvTransferMs).toBe(0);
    expect(rec.firstTokenS).toBeCloseTo(rec.prefillFirstTokenS! + decode.perf.iterationMs([{ newTokens: 200, contextTokens: 0 }]) / 1000, 9);
  });

  it('iterations of the two instances never overlap, and fast-forward changes nothing', async () => {
    const wl = { requests: 40, arrival: { process: 'poisson', rate: 2 }, input: { dist: 'uniform', min: 100, max: 1500 }, output: { dist: 'uniform', min: 4, max: 200 } };
    const a = await run(scenario({ workload: wl }), true);
    const b = await run(scenario({ workload: wl }), false);
    expect(a.records.every((x) => x.error === undefined)).toBe(true);
    expect(JSON.stringify(a.records)).toBe(JSON.stringify(b.records));
    const bars = b.collector.timeline.filter((s) => s.resource === 'prefill0' || s.resource === 'decode0').sort((x, y) => x.startS - y.startS);
    expect(new Set(bars.map((s) => s.resource)).size).toBe(2);
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.startS).toBeGreaterThanOrEqual(bars[i - 1]!.endS - 1e-12);
  });

  it('the same requests on their own GPUs finish no later (sharing only adds waiting)', async () => {
    const wl = { requests: 40, arrival: { process: 'poisson', rate: 2 }, input: { dist: 'uniform', min: 100, max: 1500 }, output: { dist: 'uniform', min: 4, max: 200 } };
    const shared = await run(scenario({ workload: wl }));
    const own = await run(scenario({ workload: wl, topology: { gpusPerNode: 2, sharedGpu: false } }));
    const e2e = (x: typeof shared) => x.records.reduce((s, q) => s + q.finishS! - q.arrivalS, 0);
    expect(e2e(shared)).toBeGreaterThan(e2e(own));
  });
});

describe('one-GPU P/D set-ups that cannot run are errors naming the field', () => {
  it('utilisations summing past 1', async () => {
    const gpu = 'rtx-2080-super-maxq';
    const e = await userError(scenario({ pools: [{ role: 'prefill', gpu, engine: { gpuMemoryUtilization: 0.55 } }, { role: 'decode', gpu, engine: { gpuMemoryUtilization: 0.55 } }] }));
    expect(e.message).toMatch(/1\.1 of its memory, more than 1/);
    expect(e.where).toBe('/deployment/pools/0/engine/gpuMemoryUtilization');
    // The top-level default (0.9 each) is named where it is set.
    const d = await userError(scenario({ pools: [{ role: 'prefill', gpu }, { role: 'decode', gpu }] }));
    expect(d.where).toBe('/engine/gpuMemoryUtilization');
  });
  it('weights that do not fit in one instance\'s share (each loads its own copy)', async () => {
    const gpu = 'rtx-2080-super-maxq';
    // 0.3 x 8 GB = 2.4 GB < 3.1 GB of Qwen2.5-1.5B weights.
    const e = await userError(scenario({ pools: [{ role: 'prefill', gpu, engine: { gpuMemoryUtilization: 0.3 } }, { role: 'decode', gpu, engine: { gpuMemoryUtilization: 0.3 } }] }));
    expect(e.message).toMatch(/does not fit.*its own copy of the weights/);
    expect(e.where).toBe('/deployment/pools/0/gpu');
  });
  it('pools on different GPU profiles, a GPU-to-GPU path, no P/D pools', async () => {
    const g = (await userError(scenario({ pools: [{ role: 'prefill', gpu: 'rtx-2080-super-maxq', engine: { gpuMemoryUtilization: 0.5 } }, { role: 'decode', gpu: 't4', engine: { gpuMemoryUtilization: 0.5 } }] })));
    expect(g.where).toBe('/deployment/pools/1/gpu');
    const p = await userError(scenario({ transfer: { path: 'direct' } }));
    expect(p.where).toBe('/deployment/transfer/path');
    const c = await userError(scenario({ pools: [{ role: 'colocated', gpu: 'rtx-2080-super-maxq', instances: 2, engine: { gpuMemoryUtilization: 0.5 } }] }));
    expect(c.where).toBe('/deployment/topology/sharedGpu');
  });
  it('two pools on a one-GPU machine without sharedGpu: never a silently added GPU', async () => {
    const e = await userError(scenario({ topology: { sharedGpu: false } }));
    expect(e.where).toBe('/deployment/topology/gpusPerNode');
    expect(e.message).toMatch(/sharedGpu/);
  });
});
