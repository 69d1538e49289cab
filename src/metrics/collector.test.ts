import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { decodeRunByCalls } from '../serving/engine-sink.js';
import { MetricsCollector } from './collector.js';

const writer = { write: () => {} };

/** Everything a collector exposes that decode runs feed. */
function figures(c: MetricsCollector): unknown {
  return {
    stats: [...c.instances],
    itl: [c.itlMs.count, c.itlMs.sum, c.itlMs.sumSq, c.itlMs.min, c.itlMs.max, [0, 10, 50, 90, 99, 100].map((p) => c.itlMs.percentile(p))],
    rows: c.series.rows(1e4),
    peak: c.peaks.maxOutputTokensPerS,
    timeline: c.timeline,
    timelineTotal: c.timelineTotal,
  };
}

describe('MetricsCollector.decodeRun', () => {
  it('equals the single iteration/itl/tokens calls bit for bit, past the exact-percentile cap and across series coarsening', () => {
    for (const timeline of [false, true]) {
      // A small exact cap so the ITL distribution turns into its sketch mid-way.
      const a = new MetricsCollector(writer, {}, 0.05, timeline);
      const b = new MetricsCollector(writer, {}, 0.05, timeline);
      for (const c of [a, b]) Object.defineProperty(c, 'itlMs', { value: new (c.itlMs.constructor as new (cap: number) => typeof c.itlMs)(3000) });
      const rnd = seedrandom('runs');
      let t = 0;
      const ends = new Float64Array(400);
      for (let run = 0; run < 300; run++) {
        const n = 1 + Math.floor(rnd() * 300);
        const start = t;
        for (let i = 0; i < n; i++) ends[i] = t += 0.01 + rnd() * 0.03;
        const emitting = rnd() < 0.5 ? n : n - 1;
        const batch = 1 + Math.floor(rnd() * 48);
        const inst = `i${run % 3}`;
        a.decodeRun(inst, start, ends, n, emitting, batch);
        decodeRunByCalls(b, inst, start, ends, n, emitting, batch);
        for (const c of [a, b]) c.gauges(inst, t, batch, 0, 10, 100);
      }
      expect(a.itlMs.isExact).toBe(false);
      expect(figures(a)).toEqual(figures(b));
    }
  });
});
