import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineInstance } from './instance.js';
import { blocksBeyond } from './fast-forward.js';
import { resolveScenario, type LoadedScenario } from '../scenario/load.js';
import { runSimulation } from '../run/simulation.js';
import { MemoryRecordWriter } from '../run/record-writer.js';
import { goldenCases, loadCase } from '../run/golden.js';

function scenario(over: Record<string, unknown>, pools?: unknown[]): LoadedScenario {
  const raw = {
    name: 'ff', seed: 3, model: 'llama-3.1-8b',
    engine: { maxNumSeqs: 32, maxNumBatchedTokens: 2048, maxModelLen: 4096 },
    deployment: { pools: pools ?? [{ role: 'colocated', gpu: 'h100-sxm' }] },
    workload: {
      requests: 300, arrival: { process: 'poisson', rate: 15 },
      input: { dist: 'lognormal', median: 600, sigma: 0.9, min: 4, max: 3000 },
      output: { dist: 'lognormal', median: 120, sigma: 0.8, min: 2, max: 800 },
    },
    ...over,
  };
  return { scenario: resolveScenario(raw, 'test.yaml'), file: 'test.yaml', baseDir: process.cwd() };
}

/** Fast and step-by-step runs agree byte for byte (the event count aside), and the fast one skipped work. */
function expectSame(r: Awaited<ReturnType<typeof both>>): void {
  const { fast, slow, a, b } = r;
  expect(fast.events).toBeLessThan(slow.events);
  const strip = (s: Record<string, unknown>) => JSON.stringify({ ...s, pdsim: { ...(s.pdsim as object), simulated_events: 0 } });
  expect(strip(fast.summary)).toBe(strip(slow.summary));
  expect(JSON.stringify(a.records)).toBe(JSON.stringify(b.records));
  expect(JSON.stringify(fast.series.timeSeries)).toBe(JSON.stringify(slow.series.timeSeries));
}

async function both(loaded: () => LoadedScenario) {
  const a = new MemoryRecordWriter();
  const b = new MemoryRecordWriter();
  const fast = await runSimulation(loaded(), { writer: a, fastForward: true });
  const slow = await runSimulation(loaded(), { writer: b, fastForward: false });
  return { fast, slow, a, b };
}

describe('decode fast-forward', () => {
  // Debug check: the engine's waiting-token counter equals a walk of its queues at every read (instance.ts).
  beforeAll(() => { EngineInstance.checkTokenCounter = true; });
  afterAll(() => { EngineInstance.checkTokenCounter = false; });
  const cases: [string, () => LoadedScenario][] = [
    ['one instance', () => scenario({})],
    // Segments carried on past finishes: with a concurrency gate (a finish releases a held arrival
    // at its own time), and a drain with nothing left to arrive (finishes back to back).
    ['one instance behind a max-concurrency gate', () => scenario({ workload: { requests: 300, maxConcurrency: 12, arrival: { process: 'poisson', rate: 15 }, input: { dist: 'lognormal', median: 600, sigma: 0.9, min: 4, max: 3000 }, output: { dist: 'lognormal', median: 120, sigma: 0.8, min: 2, max: 800 } } })],
    // Async scheduling (late joins) on and off: iterations completed ahead of the clock between hand-offs.
    ['one instance, async scheduling', () => scenario({ engine: { maxNumSeqs: 32, maxNumBatchedTokens: 2048, maxModelLen: 4096, asyncScheduling: true } })],
    // Async, with prefill chunks of a small token budget and few blocks: arrivals inside segments,
    // inside mixed iterations and inside iterations that preempt (the late join's carried-on decode and its refusals).
    ['one instance, async scheduling, chunked and KV-starved', () => scenario({ engine: { maxNumSeqs: 48, maxNumBatchedTokens: 256, maxModelLen: 4096, asyncScheduling: true, enableChunkedPrefill: true, numGpuBlocks: 400 } })],
    ['one instance, synchronous scheduling', () => scenario({ engine: { maxNumSeqs: 32, maxNumBatchedTokens: 2048, maxModelLen: 4096, asyncScheduling: false } })],
    // The parity benchmark's engine and trace (no chunked prefill), 300 requests.
    ['the Vidur parity run', () => loadCase(goldenCases.find((c) => c.name === 'vidur-parity')!)],
    // Outputs of 2 and 3 tokens: after its prefill a request's next iteration is often its last
    // (iteration 1 finishes it: carried on from fastForward as after a segment's last iteration).
    ['one instance, outputs of 2-3 tokens', () => scenario({ workload: { requests: 300, arrival: { process: 'poisson', rate: 40 }, input: { dist: 'uniform', min: 20, max: 600 }, output: { dist: 'uniform', min: 2, max: 3 } } })],
    ['one instance draining a burst', () => scenario({ workload: { requests: 120, arrival: { process: 'all-at-once' }, input: { dist: 'uniform', min: 50, max: 400 }, output: { dist: 'uniform', min: 2, max: 400 } } })],
    ['KV-starved instance with preemptions', () => scenario({ engine: { maxNumSeqs: 64, maxNumBatchedTokens: 2048, maxModelLen: 4096, numGpuBlocks: 300 } })],
    ['two instances, least-loaded, prefix caching', () => scenario({
      engine: { maxNumSeqs: 16, maxNumBatchedTokens: 1024, maxModelLen: 4096, enablePrefixCaching: true },
      deployment: { pools: [{ role: 'colocated', gpu: 'a100-sxm-80gb', instances: 2 }], router: { policy: 'least-loaded' } },
      workload: {
        requests: 250, arrival: { process: 'gamma', rate: 20, burstiness: 0.5 },
        input: { dist: 'uniform', min: 100, max: 2000 }, output: { dist: 'uniform', min: 2, max: 300 },
        prefixSharing: { sharedPrefixTokens: 512, groups: 3 },
      },
    })],
  ];
  for (const [name, make] of cases) {
    it(`gives byte-identical summary and requests to step-by-step simulation: ${name}`, async () => {
      const { fast, slow, a, b } = await both(make);
      expect(fast.events).toBeLessThan(slow.events); // it did skip work
      const strip = (s: Record<string, unknown>) => JSON.stringify({ ...s, pdsim: { ...(s.pdsim as object), simulated_events: 0 } });
      expect(strip(fast.summary)).toBe(strip(slow.summary));
      expect(JSON.stringify(a.records)).toBe(JSON.stringify(b.records));
      expect(JSON.stringify(fast.series.timeSeries)).toBe(JSON.stringify(slow.series.timeSeries));
      expect(fast.summary.completed).toBe(a.records.length);
    });
  }

  for (const policy of ['least-outstanding-tokens', 'power-of-two', 'prefix-aware'] as const) {
    it(`stays exact for a router that reads outstanding tokens (${policy}): byte-identical to step by step, with fewer events`, async () => {
      const make = () => scenario({
        engine: { maxNumSeqs: 32, maxNumBatchedTokens: 2048, maxModelLen: 4096, enablePrefixCaching: policy === 'prefix-aware' },
        deployment: { pools: [{ role: 'colocated', gpu: 'h100-sxm', instances: 3 }], router: { policy } },
        workload: {
          requests: 300, arrival: { process: 'poisson', rate: 12 },
          input: { dist: 'lognormal', median: 600, sigma: 0.9, min: 4, max: 3000 },
          output: { dist: 'lognormal', median: 120, sigma: 0.8, min: 2, max: 800 },
          ...(policy === 'prefix-aware' ? { prefixSharing: { sharedPrefixTokens: 512, groups: 4 } } : {}),
        },
      });
      expectSame(await both(make));
    });
  }

  // Per-instance fast-forward (sink-buffer.ts): plans run past other replicas' events and past
  // hand-offs that go elsewhere, their sink calls held and made in time order. With the timeline on,
  // its bars (iteration calls of every replica, capped) must come in step-by-step order too.
  const many = (policy: string, over: Record<string, unknown> = {}) => () => scenario({
    engine: { maxNumSeqs: 64, maxNumBatchedTokens: 2048, maxModelLen: 4096 },
    deployment: { pools: [{ role: 'colocated', gpu: 'h100-sxm', instances: 8 }], router: { policy } },
    workload: {
      requests: 600, arrival: { process: 'poisson', rate: 40 },
      input: { dist: 'lognormal', median: 600, sigma: 0.9, min: 4, max: 3000 },
      output: { dist: 'lognormal', median: 120, sigma: 0.8, min: 2, max: 800 },
    },
    ...over,
  });
  const manyCases: [string, () => LoadedScenario][] = [
    ['8 replicas, power-of-two', many('power-of-two')],
    ['8 replicas, round-robin, timeline on', many('round-robin', { output: { timeline: true } })],
    ['8 replicas, least-outstanding-tokens, async scheduling', many('least-outstanding-tokens', { engine: { maxNumSeqs: 64, maxNumBatchedTokens: 2048, maxModelLen: 4096, asyncScheduling: true } })],
    ['8 replicas behind a max-concurrency gate', many('power-of-two', { workload: { requests: 600, maxConcurrency: 40, arrival: { process: 'poisson', rate: 40 }, input: { dist: 'lognormal', median: 600, sigma: 0.9, min: 4, max: 3000 }, output: { dist: 'lognormal', median: 120, sigma: 0.8, min: 2, max: 800 } } })],
    ['4 KV-starved replicas with preemptions', () => scenario({
      engine: { maxNumSeqs: 64, maxNumBatchedTokens: 2048, maxModelLen: 4096, numGpuBlocks: 300 },
      deployment: { pools: [{ role: 'colocated', gpu: 'h100-sxm', instances: 4 }], router: { policy: 'power-of-two' } },
      workload: { requests: 400, arrival: { process: 'poisson', rate: 30 }, input: { dist: 'lognormal', median: 600, sigma: 0.9, min: 4, max: 3000 }, output: { dist: 'lognormal', median: 120, sigma: 0.8, min: 2, max: 800 } },
    })],
  ];
  for (const [name, make] of manyCases) {
    it(`per-instance plans: byte-identical summary, records, series and timeline to step by step (${name})`, async () => {
      const r = await both(make);
      expectSame(r);
      expect(JSON.stringify(r.fast.series.timeline)).toBe(JSON.stringify(r.slow.series.timeline));
      expect(r.a.records.length).toBe(r.fast.summary.completed + r.fast.summary.failed);
    });
  }

  it('exercised preemption in the KV-starved case', async () => {
    const r = await runSimulation(cases.find(([n]) => n.startsWith('KV-starved'))![1](), { writer: new MemoryRecordWriter() });
    expect((r.summary.pdsim as { preemptions: number }).preemptions).toBeGreaterThan(0);
  });
});

describe('determinism', () => {
  it('same scenario and seed: identical results; another seed: different ones', async () => {
    const w1 = new MemoryRecordWriter();
    const w2 = new MemoryRecordWriter();
    const w3 = new MemoryRecordWriter();
    const r1 = await runSimulation(scenario({}), { writer: w1 });
    const r2 = await runSimulation(scenario({}), { writer: w2 });
    const r3 = await runSimulation(scenario({}), { writer: w3, seed: 4 });
    expect(JSON.stringify(r1.summary)).toBe(JSON.stringify(r2.summary));
    expect(JSON.stringify(w1.records)).toBe(JSON.stringify(w2.records));
    expect(JSON.stringify(w1.records)).not.toBe(JSON.stringify(w3.records));
  });
});

describe('blocksBeyond', () => {
  it('equals ceil(t / bs) - held on a grid of integers, including both sides of every block edge', () => {
    let cases = 0;
    for (const bs of [1, 2, 3, 16, 17]) {
      for (let held = 0; held <= 12; held++) {
        for (let t = 0; t <= 14 * bs + 2; t++) {
          expect(blocksBeyond(t, held, bs)).toBe(Math.ceil(t / bs) - held);
          cases++;
        }
      }
    }
    // Hand cases: inside the last held block, one past it, and far past / far below.
    expect(blocksBeyond(32, 2, 16)).toBe(0);
    expect(blocksBeyond(33, 2, 16)).toBe(1);
    expect(blocksBeyond(49, 2, 16)).toBe(2);
    expect(blocksBeyond(5, 3, 16)).toBe(-2);
    expect(cases).toBeGreaterThan(1000);
  });
});
