import { V1_FRONT_END } from '../../perf/front-end.js';
import { describe, expect, it } from 'vitest';
import { MemoryRecordWriter } from '../../run/record-writer.js';
import { runSimulation } from '../../run/simulation.js';
import { resolveScenario } from '../../scenario/load.js';
import { loadLlm } from '../../model/catalog.js';
import { deriveSizes } from '../../model/architecture.js';
import { RooflinePerfModel } from '../../perf/perf-model.js';
import { loadGpu } from '../../model/catalog.js';

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test fixtures are plain YAML-like objects

function scenario(over: { transfer?: Raw; topology?: Raw; policies?: Raw; workload?: Raw; pools?: Raw[]; engine?: Raw; router?: Raw } = {}): Raw {
  return {
    name: 't', seed: 1, model: 'llama-3.1-8b',
    engine: { maxNumSeqs: 32, maxNumBatchedTokens: 4096, maxModelLen: 4096, ...over.engine },
    deployment: {
      pools: over.pools ?? [{ role: 'prefill', gpu: 'l4' }, { role: 'decode', gpu: 'l4' }],
      transfer: { policy: 'layerwise', path: 'direct', ...over.transfer },
      topology: { gpusPerNode: 2, nvlink: false, p2pOverPcie: true, ...over.topology },
      ...(over.policies ? { policies: over.policies } : {}),
      ...(over.router ? { router: over.router } : {}),
    },
    workload: over.workload ?? { requests: 1, arrival: { process: 'all-at-once' }, input: { dist: 'fixed', value: 1000 }, output: { dist: 'fixed', value: 4 } },
  };
}

async function run(raw: Raw, fastForward = true) {
  const sc = resolveScenario(structuredClone(raw), 'test.yaml');
  const writer = new MemoryRecordWriter();
  const r = await runSimulation({ scenario: sc, file: 'test.yaml', baseDir: '.' }, { writer, fastForward });
  return { ...r, records: writer.records };
}

describe('disaggregated prefill -> KV transfer -> decode, one request by hand', () => {
  const arch = loadLlm('llama-3.1-8b');
  const perLayerBytes = 1000 * deriveSizes(arch).kvBytesPerTokenPerLayer; // 1000 tokens x 4096 B
  const pcieGBps = 25; // pcie-gen4-x16 pinned, one direction; P2P: gpu0 d2h then gpu1 h2d
  const latencyS = 2 * 10e-6;
  const perf = new RooflinePerfModel(arch, loadGpu('l4'), { tp: 1 });
  const prefillS = perf.iterationMs([{ newTokens: 1000, contextTokens: 0 }]) / 1000;
  const decodeStepS = perf.iterationMs([{ newTokens: 1, contextTokens: 999 }]) / 1000;

  it('layer-wise: the exposed time is the last layer transfer alone', async () => {
    const r = await run(scenario());
    const rec = r.records[0]!;
    expect(rec.error).toBeUndefined();
    // The API server's front end (src/perf/front-end.ts) comes before the prefill.
    const feS = V1_FRONT_END.requestMs / 1000;
    // The prefill's own token, then (as vLLM's proxy sees it) the decode side's first token:
    // prefill, then the later of the last layer landing and the decode leg reaching D's engine
    // (D's API server, another front end), then D's 1-token recompute step over the 1000-token context.
    expect(rec.prefillFirstTokenS).toBeCloseTo(feS + prefillS, 12);
    const lastLayerMs = (latencyS + perLayerBytes / (pcieGBps * 1e9)) * 1000;
    expect(rec.kvExposedMs).toBeCloseTo(lastLayerMs, 3);
    expect(rec.kvLinkExposedMs).toBeCloseTo(lastLayerMs, 3);
    expect(rec.kvReservationWaitMs).toBe(0);
    expect(rec.kvStagingWaitMs).toBe(0);
    const handOffS = Math.max(lastLayerMs / 1000, feS);
    expect(rec.firstTokenS).toBeCloseTo(feS + prefillS + handOffS + decodeStepS, 6);
    expect(r.summary.median_ttft_ms).toBeCloseTo((feS + prefillS + handOffS + decodeStepS) * 1000, 2);
    expect(r.summary.pdsim.prefill_ttft_ms!.median).toBeCloseTo((feS + prefillS) * 1000, 3);
    // The decode side makes all 4 output tokens (the prefill's one is discarded).
    expect(rec.outputTokens).toBe(4);
    expect(rec.replica).toBe('prefill0->decode0');
    const kv = r.summary.pdsim.kv_transfer!;
    expect(kv.count).toBe(1);
    expect(kv.bytes_total).toBe(arch.numLayers * perLayerBytes);
    expect(kv.overlap_fraction).toBeGreaterThan(0.95);
  });

  it('whole: D pulls the full copy once the decode leg is through its API server', async () => {
    const r = await run(scenario({ transfer: { policy: 'whole' } }));
    const wholeMs = (latencyS + (arch.numLayers * perLayerBytes) / (pcieGBps * 1e9)) * 1000;
    const feMs = V1_FRONT_END.requestMs;
    // Exposed after the prefill: D's front end (the leg's hand-off), then the link time alone.
    expect(r.records[0]!.kvExposedMs).toBeCloseTo(feMs + wholeMs, 3);
    expect(r.records[0]!.kvLinkExposedMs).toBeCloseTo(wholeMs, 3);
    expect(r.records[0]!.kvReservationWaitMs).toBe(0);
    expect(r.records[0]!.firstTokenS).toBeCloseTo(feMs / 1000 + prefillS + feMs / 1000 + wholeMs / 1000 + decodeStepS, 6);
    // Nothing of a whole copy runs under the prefill.
    expect(r.summary.pdsim.kv_transfer!.overlap_fraction).toBe(0);
  });

  it('staging: both legs of the last layer are exposed (D2H then H2D)', async () => {
    const r = await run(scenario({ transfer: { path: 'staging' }, topology: { p2pOverPcie: false } }));
    // D2H 25 GB/s and H2D 25 GB/s (host DRAM is far faster), one after the other, 10 us each.
    const ms = 2 * (10e-6 + perLayerBytes / 25e9) * 1000;
    expect(r.records[0]!.kvExposedMs).toBeCloseTo(ms, 3);
  });
});

describe('waits for decode KV reservation that overlap', () => {
  it('give per-request waits and a time-weighted queue length, not a sum of concurrent waits', async () => {
    // Three 1000-token prompts prefilled in one iteration (all want decode blocks at t = 0); the
    // decode cache (70 blocks of 16) holds one request (63 blocks), so r1 waits until r0 leaves
    // decode (F0) and r2 until r1 leaves (F1): two waits run at once over [0, F0].
    const r = await run(scenario({
      engine: { maxModelLen: 1024 },
      pools: [{ role: 'prefill', gpu: 'l4' }, { role: 'decode', gpu: 'l4', engine: { numGpuBlocks: 70 } }],
      workload: { requests: 3, arrival: { process: 'all-at-once' }, input: { dist: 'fixed', value: 1000 }, output: { dist: 'fixed', value: 4 } },
    }));
    const recs = [...r.records].sort((a, b) => a.id - b.id);
    const [f0, f1, f2] = recs.map((x) => x.finishS!) as [number, number, number];
    // Every request wants decode blocks once it is past the API server's front end.
    const fe = V1_FRONT_END.requestMs / 1000;
    expect(recs.map((x) => x.kvReservationWaitMs)).toEqual([0, f0 - fe, f1 - fe].map((x) => Math.round(x * 1e6) / 1e3));
    const p = r.summary.pdsim as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- summary JSON
    // Time-weighted mean queue length over the run [0, F2]: 2 waiting on [0, F0], 1 on [F0, F1].
    expect(p.back_pressure.decode_queue_mean_length).toBeCloseTo((2 * (f0 - fe) + (f1 - f0)) / f2, 5);
    expect(p.back_pressure.decode_queue_max).toBe(2);
    expect(p.kv_transfer.decode_reservation_wait_ms.mean).toBeCloseTo(((f0 - fe + f1 - fe) / 3) * 1000, 2);
    // Exposed after prefill (which ended at prefillFirstTokenS; the waits began at t = 0) = the part
    // of the wait after prefill + the link time once reserved.
    for (const x of recs) expect(x.kvExposedMs!).toBeCloseTo(Math.max(0, x.kvReservationWaitMs! - (x.prefillFirstTokenS! - fe) * 1000) + x.kvLinkExposedMs!, 2);
  });
});

describe('invariants over randomized runs', () => {
  const cases = [
    { seed: 2, transfer: { policy: 'layerwise', path: 'staging', stagingBufferGiB: 0.05 }, rate: 3, policies: { decodeBatching: 'length-bins', evictAtEos: 'same-iteration' } },
    { seed: 3, transfer: { policy: 'whole', path: 'staging', stagingBufferGiB: 1 }, rate: 2, policies: { adaptiveBatchTpotMs: 90 } },
    { seed: 4, transfer: { policy: 'layerwise', path: 'direct' }, rate: 4 },
    { seed: 5, transfer: { policy: 'whole', path: 'disk' }, rate: 1 },
  ];
  for (const c of cases) {
    it(`${c.transfer.policy} via ${c.transfer.path}, seed ${c.seed}`, async () => {
      const raw = scenario({
        transfer: c.transfer, topology: { p2pOverPcie: false }, policies: c.policies, engine: { maxNumSeqs: 16 },
        pools: [{ role: 'prefill', gpu: 'l4', instances: 2 }, { role: 'decode', gpu: 'l4', instances: 2, engine: { numGpuBlocks: 600 } }],
        workload: { requests: 120, arrival: { process: 'poisson', rate: c.rate }, input: { dist: 'lognormal', median: 900, sigma: 0.8, min: 16, max: 3000 }, output: { dist: 'uniform', min: 2, max: 200 } },
      });
      raw.seed = c.seed;
      raw.deployment.topology.gpusPerNode = 4;
      const r = await run(raw);
      // Every request completes or fails with a reason.
      expect(r.records.length).toBe(120);
      for (const rec of r.records) expect(rec.error === undefined ? rec.finishS !== null : rec.error.length > 0).toBe(true);
      const p = r.summary.pdsim as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- summary JSON
      expect(p.disaggregation.unfinished_transfers).toBe(0);
      // Bytes sent = bytes received: every transferred byte left a prefill GPU and entered a decode GPU.
      let out = 0;
      let inn = 0;
      for (const [id, l] of Object.entries(p.links as Record<string, { bytes: number; peak_load_fraction: number }>)) {
        if (id.endsWith('.pcie.d2h') && (id === 'gpu0.pcie.d2h' || id === 'gpu1.pcie.d2h')) out += l.bytes;
        if (id.endsWith('.pcie.h2d') && (id === 'gpu2.pcie.h2d' || id === 'gpu3.pcie.h2d')) inn += l.bytes;
        // No link ever above its capacity.
        expect(l.peak_load_fraction).toBeLessThanOrEqual(1 + 1e-9);
      }
      expect(out).toBeCloseTo(p.kv_transfer.bytes_total, -1);
      expect(inn).toBeCloseTo(p.kv_transfer.bytes_total, -1);
      // KV blocks conserved: every block came back, on every instance.
      for (const pool of r.built.pools) for (const inst of pool.instances) {
        expect(inst.blocks.usedBlocks).toBe(0);
        expect(inst.outstanding).toBe(0);
      }
    });
  }

  it('fast-forwarded and step-by-step runs agree exactly', async () => {
    const raw = scenario({ transfer: { path: 'staging' }, workload: { requests: 80, arrival: { process: 'poisson', rate: 2 }, input: { dist: 'lognormal', median: 800, sigma: 0.7, min: 16, max: 3000 }, output: { dist: 'uniform', min: 2, max: 150 } } });
    const a = await run(raw, true);
    const b = await run(raw, false);
    // Fast-forward exists to process fewer events; everything else is identical.
    const strip = (x: typeof a.summary) => JSON.stringify({ ...x, pdsim: { ...x.pdsim, simulated_events: 0 } });
    expect(strip(a.summary)).toBe(strip(b.summary));
    expect(JSON.stringify(a.records)).toBe(JSON.stringify(b.records));
  });
});

describe('impossible set-ups are rejected up front, naming the field', () => {
  it('a decode GPU with no direct path to its prefill GPU', async () => {
    await expect(run(scenario({ topology: { gpusPerNode: 1, nodes: 2 } }))).rejects.toThrow(/\/deployment\/transfer\/path.*no direct path/);
  });
  it('a machine too small for the pools (one GPU, two pools, no second node declared), never an added node', async () => {
    await expect(run(scenario({ topology: { gpusPerNode: 1 } }))).rejects.toThrow(/\/deployment\/topology\/gpusPerNode.*need 2 node\(s\) of 1 GPU\(s\).*has 1 \(topology.nodes\)/);
  });
  it('a staging buffer smaller than one layer of a max-length prompt', async () => {
    await expect(run(scenario({ transfer: { path: 'staging', stagingBufferGiB: 0.001 } }))).rejects.toThrow(/\/deployment\/transfer\/stagingBufferGiB/);
  });
  it('a prompt larger than the prefill KV cache', async () => {
    await expect(run(scenario({ pools: [{ role: 'prefill', gpu: 'l4', engine: { numGpuBlocks: 10 } }, { role: 'decode', gpu: 'l4' }] }))).rejects.toThrow(/\/deployment\/pools\/0\/gpu.*prefill KV cache/);
  });
  it('an adaptive TPOT target below one decode step is a warning naming the field', async () => {
    const r = await run(scenario({ policies: { adaptiveBatchTpotMs: 1 } }));
    expect(r.built.warnings).toEqual([expect.stringMatching(/^test\.yaml: \/deployment\/policies\/adaptiveBatchTpotMs \(1 ms\) is below one decode step/)]);
    expect((await run(scenario({ policies: { adaptiveBatchTpotMs: 200 } }))).built.warnings).toEqual([]);
  });
  it('a request too long for the decode cache fails with a reason', async () => {
    const r = await run(scenario({ engine: { maxModelLen: 8192, maxNumBatchedTokens: 8192 }, pools: [{ role: 'prefill', gpu: 'l4' }, { role: 'decode', gpu: 'l4' }], workload: { requests: 1, arrival: { process: 'all-at-once' }, input: { dist: 'fixed', value: 8000 }, output: { dist: 'fixed', value: 300 } } }));
    expect(r.records[0]!.error).toMatch(/^decode: prompt \(8000\) \+ output \(300\) tokens exceed max_model_len 8192/);
  });
});
