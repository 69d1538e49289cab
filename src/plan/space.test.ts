import { describe, expect, it } from 'vitest';
import { loadScenario, resolveScenario } from '../scenario/load.js';
import { applyCandidate, enumerate } from './space.js';

describe('the plan search space', () => {
  it('turns every candidate of a P/D base scenario into a valid scenario (colocated ones drop the decode-pool policies)', () => {
    const l = loadScenario('scenarios/dual-l4-disagg.yaml');
    const base = l.scenario as unknown as Record<string, unknown>;
    const cs = enumerate({ gpus: ['l4'], maxGpus: 3, tps: [1, 2], modes: ['colocated', 'disagg'], maxNumSeqs: [32], maxNumBatchedTokens: [4096], transferPolicies: ['layerwise'], transferPaths: ['staging'], prices: { l4: 0.8 } });
    // Colocated: 1x, 2x, 3x tp1 and 1x tp2; disagg: P (1x tp1, 2x tp1, 1x tp2) x D within the 3 left.
    expect(cs.filter((c) => c.hardware.kind === 'colocated')).toHaveLength(4);
    for (const c of cs) {
      const sc = resolveScenario(applyCandidate(base, c, 1, 50), l.file);
      expect(sc.deployment.pools.reduce((n, p) => n + p.instances * p.tp, 0)).toBe(c.gpus);
      if (c.hardware.kind === 'colocated') expect(sc.deployment.policies?.decodeBatching ?? 'continuous').toBe('continuous');
      else expect(sc.deployment.policies?.decodeBatching).toBe('length-bins');
    }
  });
});
