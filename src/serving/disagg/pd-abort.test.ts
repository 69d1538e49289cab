import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../kernel/random.js';
import { Simulator } from '../../kernel/simulator.js';
import { MetricsCollector } from '../../metrics/collector.js';
import { MemoryRecordWriter } from '../../run/record-writer.js';
import { buildDeployment } from '../../scenario/build/index.js';
import { loadScenario } from '../../scenario/load.js';

/** dual-l4-disagg (staging path, layer-wise): 6 requests at once; request `id` aborted at `atS`. */
function run(id: number, atS: number) {
  const l = loadScenario('scenarios/dual-l4-disagg.yaml');
  const sim = new Simulator();
  const writer = new MemoryRecordWriter();
  const collector = new MetricsCollector(writer, {}, 0.1, false);
  const built = buildDeployment(l.scenario, l.file, sim, new RandomStreams(1), collector, { fastForward: true });
  for (let i = 0; i < 6; i++) sim.scheduleAt(0, () => built.deployment.submit({ id: i, arrivalS: 0, promptTokens: 1500, outputTokens: 40 }));
  let aborted: boolean | undefined;
  sim.scheduleAt(atS, () => (aborted = built.deployment.abort(id)));
  sim.run();
  const instances = built.deployment.instances;
  return { aborted, records: writer.records, instances, count: built.deployment.abortedCount };
}

describe('PdDeployment.abort', () => {
  for (const [what, id, atS] of [['waiting on the prefill instance', 5, 0.001], ['in flight (its prefill iteration started its KV transfer)', 0, 0.4]] as const) {
    it(`${what}: every block comes back on both sides and the others finish`, () => {
      const r = run(id, atS);
      expect(r.aborted).toBe(true);
      expect(r.count).toBe(1);
      const rec = r.records.find((x) => x.id === id)!;
      expect(rec.error).toMatch(/aborted/);
      expect(r.records.filter((x) => x.error === undefined)).toHaveLength(5);
      for (const inst of r.instances) {
        expect(inst.blocks.usedBlocks).toBe(0);
        expect(inst.outstanding).toBe(0);
      }
    });
  }
});
