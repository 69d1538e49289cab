/**
 * P/D with the fast paths on (solo flows in closed form, decode fast-forward where the batch policy
 * allows it) against step-by-step simulation with every flow in the max-min allocation: the same
 * requests.jsonl bytes and summary, with fewer events.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyOverride, parseScenarioText, resolveScenario, type LoadedScenario } from '../../scenario/load.js';
import { runSimulation } from '../../run/simulation.js';
import { MemoryRecordWriter } from '../../run/record-writer.js';
import { LayerChain } from './layer-chain.js';
import { episodeCounts } from './mates-episode.js';
import { burstCounts } from '../../hardware/flow-burst.js';

function load(file: string, overrides: string[]): LoadedScenario {
  const abs = path.resolve(file);
  const raw = parseScenarioText(readFileSync(abs, 'utf8'), abs) as Record<string, unknown>;
  for (const o of overrides) applyOverride(raw, o);
  return { scenario: resolveScenario(raw, abs), file: abs, baseDir: path.dirname(abs) };
}

describe('P/D fast paths', () => {
  // [name, file, overrides, layer chains made (and handed back, materialized) in the fast run, batch-mates'
  // episodes run ('every kind': of copies only, with the decode side not reserved yet, of mates reserved and not,
  // run ahead of the clock, and run past a pending client send, too),
  // late reservations' staged pulls held as bursts (flow-burst.ts; others reserved in the same event joining them,
  // some settled while their flows move; settled before the activation: flow-burst-claim.test.ts)]
  const cases: [string, string, string[], ('made' | 'handed back')?, (true | 'every kind')?, true?][] = [
    ['layer-wise through staging, 1.2 req/s', 'scenarios/dual-l4-disagg.yaml', ['workload.requests=150', 'output.timeline=false'], 'made', true],
    // Busier: decode reservations arrive while chains of copies run, so those are handed back mid-way
    // (and their layers left chained again).
    ['layer-wise through staging, 1.8 req/s', 'scenarios/dual-l4-disagg.yaml', ['workload.requests=300', 'workload.arrival.rate=1.8'], 'handed back'],
    // Prompts batched in one prefill iteration share the links from the first layer: episodes of
    // batch-mates (without a timeline: with one, the network reports segments and they run chunk by chunk).
    ['layer-wise through staging, 2.5 req/s', 'scenarios/dual-l4-disagg.yaml', ['workload.requests=300', 'workload.arrival.rate=2.5', 'output.timeline=false'], undefined, 'every kind', true],
    // A small staging buffer: back-pressure on the chunks, with chains, episodes and hand-backs about.
    ['layer-wise through a small staging buffer, 1.6 req/s', 'scenarios/dual-l4-disagg.yaml', ['workload.requests=300', 'workload.arrival.rate=1.6', 'deployment.transfer.stagingBufferGiB=0.5', 'output.timeline=false', 'seed=2'], 'handed back', 'every kind', true],
    // Saturated: chunks of batched prompts overlap on the links, so solo flows are materialized into the allocation.
    ['saturated (shared links, back-pressure)', 'scenarios/dual-l4-disagg-saturated.yaml', ['workload.requests=120']],
    // Few decode blocks: reservations arrive while the decode engine's segment is planned, some leaving its
    // later iterations their blocks (the plan goes on), some not (it is settled first), some refused; preemptions too.
    ['layer-wise through staging, scarce decode blocks', 'scenarios/dual-l4-disagg.yaml', ['workload.requests=300', 'workload.arrival.rate=1.5', 'engine.gpuMemoryUtilization=0.8', 'output.timeline=false'], undefined, undefined, true],
    ['direct path, whole transfers', 'scenarios/dual-l4-disagg.yaml', ['workload.requests=120', 'deployment.transfer.path=direct', 'deployment.transfer.policy=whole']],
  ];
  for (const [name, file, overrides, chains, episodes, bursts] of cases) {
    it(`gives the step-by-step allocation's bytes: ${name}`, async () => {
      const a = new MemoryRecordWriter();
      const b = new MemoryRecordWriter();
      const before = { ...LayerChain.counts };
      const episodesBefore = { ...episodeCounts };
      const burstsBefore = { ...burstCounts };
      const fast = await runSimulation(load(file, overrides), { writer: a, fastForward: true });
      if (bursts) {
        expect(burstCounts.held - burstsBefore.held).toBeGreaterThan(10);
        expect(burstCounts.joined - burstsBefore.joined).toBeGreaterThan(10);
        expect(burstCounts.settledActive - burstsBefore.settledActive).toBeGreaterThan(0);
      }
      if (episodes) {
        expect(episodeCounts.run - episodesBefore.run).toBeGreaterThan(10);
        if (episodes === 'every kind') {
          expect(episodeCounts.copyOnly - episodesBefore.copyOnly).toBeGreaterThan(10);
          expect(episodeCounts.ahead - episodesBefore.ahead).toBeGreaterThan(10);
          // Groups some of whose mates are reserved and some not, in one episode.
          expect(episodeCounts.mixed - episodesBefore.mixed).toBeGreaterThan(10);
          // Episodes that ran past a pending client send (the kernel's horizon: its submit comes a front-end lead later).
          expect(episodeCounts.pastLane - episodesBefore.pastLane).toBeGreaterThan(10);
        }
      }
      if (chains) {
        expect(LayerChain.counts.made - before.made).toBeGreaterThan(10);
        // Most chains end before the decode leg arrives: their last pull's event moves to the hand-off.
        expect(LayerChain.counts.deferred - before.deferred).toBeGreaterThan(10);
        // ... and most are computed when the transfer is launched, ahead of their first chunk.
        expect(LayerChain.counts.ahead - before.ahead).toBeGreaterThan(10);
        if (chains === 'handed back') {
          expect(LayerChain.counts.materialized - before.materialized).toBeGreaterThan(0);
          // ... and the layers left of some of them chained again once the staged chunks were pulled.
          expect(LayerChain.counts.resumed - before.resumed).toBeGreaterThan(0);
        }
      }
      const mid = { ...LayerChain.counts };
      const episodesMid = { ...episodeCounts };
      const burstsMid = { ...burstCounts };
      const slow = await runSimulation(load(file, overrides), { writer: b, fastForward: false });
      expect(LayerChain.counts).toEqual(mid);
      expect(episodeCounts).toEqual(episodesMid);
      expect(burstCounts).toEqual(burstsMid);
      expect(a.records.length).toBeGreaterThan(100);
      expect(fast.events).toBeLessThan(slow.events);
      expect(JSON.stringify(a.records)).toBe(JSON.stringify(b.records));
      // The series too (gauges, KV occupancy per instance): a planned decode segment's calls are held and made in time order.
      expect(JSON.stringify(fast.series.timeSeries)).toBe(JSON.stringify(slow.series.timeSeries));
      const strip = (s: Record<string, unknown>) => JSON.stringify({ ...s, pdsim: { ...(s.pdsim as object), simulated_events: 0 } });
      expect(strip(fast.summary)).toBe(strip(slow.summary));
    }, 60_000);
  }

  // With a timeline the network reports segments, so batch-mates run chunk by chunk: only the event count differs.
  it('reports the same records and summary without a timeline (the network then emits no segments)', async () => {
    const run = async (timeline: boolean) => {
      const w = new MemoryRecordWriter();
      const r = await runSimulation(load('scenarios/dual-l4-disagg.yaml', ['workload.requests=150', 'workload.arrival.rate=2.5', `output.timeline=${timeline}`]), { writer: w, fastForward: true });
      return { r, records: JSON.stringify(w.records) };
    };
    const on = await run(true);
    const off = await run(false);
    expect((on.r.series.timeline ?? []).some((s) => s.kind === 'transfer')).toBe(true);
    expect(off.r.series.timeline).toEqual([]);
    expect(off.records).toBe(on.records);
    const strip = (s: Record<string, unknown>) => JSON.stringify({ ...s, pdsim: { ...(s.pdsim as object), simulated_events: 0 } });
    expect(strip(off.r.summary)).toBe(strip(on.r.summary));
  }, 60_000);
});
