import { describe, expect, it } from 'vitest';
import type { WorkloadSpec } from '../workload/spec.js';
import { loadScenario } from './load.js';
import type { Scenario } from './schema.js';

describe('workload spec', () => {
  it('the schema\'s workload type is assignable to what the generator reads (compile-time, shown at run time)', () => {
    const sc: Scenario = loadScenario('scenarios/quickstart.yaml').scenario;
    const w: WorkloadSpec = sc.workload; // a type error here means schema.ts and workload/spec.ts disagree
    expect(w.requests).toBe(2000);
  });
});
