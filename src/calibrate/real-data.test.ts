// One fit on the real A100 tables shipped in models/data, to catch a fit that silently degrades.
// Runs in a few seconds.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../model/catalog.js';
import { efficiency } from '../model/gpu.js';
import { DATASETS, datasetPaths, defaultDataDir } from './datasets.js';
import { calibrate, loadSamples } from './run.js';

// The two 70B tables are left out to keep this test short; the full fit runs in `pdsim calibrate`.
const files = datasetPaths(DATASETS['a100-sxm-80gb']!, defaultDataDir()).fit.filter((f) => !f.includes('70'));

describe('real A100 data', () => {
  it('ships every file the default data sets name (compressed where large)', () => {
    for (const ds of Object.values(DATASETS)) {
      const p = datasetPaths(ds, defaultDataDir());
      for (const f of [...p.fit, ...p.crossCheck]) expect(existsSync(f), f).toBe(true);
      expect(p.crossCheck.length).toBe(ds.crossCheck.length);
    }
  });

  it('fits physically sensible curves that reproduce whole iterations', () => {
    const gpu = new Catalog().loadGpu('a100-sxm-80gb');
    const r = calibrate(gpu, loadSamples(files));
    const p = r.fit.perf;
    expect(r.fit.kept).toEqual([]);
    for (const e of [p.gemm.compute.max, p.gemm.memoryEfficiency, p.attentionPrefill.compute.max, p.attentionDecode.memoryEfficiency, ...Object.values(p.elementwise.byOp!)]) {
      expect(e).toBeGreaterThan(0);
      expect(e).toBeLessThanOrEqual(1);
    }
    // Table 3 of hardware.md: A100 prefill GEMMs reach 68-72% of peak at >= 512 tokens on these shapes.
    const at4096 = efficiency(p.gemm.compute, 4096);
    expect(at4096).toBeGreaterThan(0.6);
    expect(at4096).toBeLessThan(0.8);
    for (const phase of ['prefill', 'decode']) {
      const g = r.inSample.find((x) => x.group === `iteration ${phase}`)!;
      expect(g.n).toBeGreaterThan(100);
      expect(g.medianPct).toBeLessThan(8);
    }
    // A100's multi-head decode kernel reads KV at a bandwidth proportional to sequences x heads up
    // to 64 items (0.01 of HBM per item at 131072 tokens), i.e. it does not split; the grouped-query
    // one reaches 0.37 of HBM with a single item: it splits.
    expect(p.attentionDecode.occupancy?.splitKv?.families).toEqual(['gqa']);
  }, 120_000); // three decode-attention fits (split-KV variants) on a shared, slow machine
});
