import { describe, expect, it } from 'vitest';
import { userError } from '../errors-testing.js';
import { buildDeployment } from './build/index.js';
import { loadScenario } from './load.js';
import { checkScenario, scenarioProblems } from './check.js';

describe('scenario check', () => {
  it('a decode batch policy on a colocated deployment is an error naming the field', () => {
    const l = loadScenario('scenarios/quickstart.yaml', ['deployment.policies.adaptiveBatchTpotMs=5']);
    const e = userError(() => checkScenario(l.scenario, l.file));
    expect(e.where).toBe('/deployment/policies/adaptiveBatchTpotMs');
    expect(e.message).toMatch(/no decode pool/);
  });
  it('collects every problem, and counts the others in the message', () => {
    const l = loadScenario('scenarios/dual-l4-colocated.yaml', ['deployment.policies.decodeBatching=length-bins', 'deployment.policies.evictAtEos=same-iteration']);
    expect(scenarioProblems(l.scenario).map((p) => p.pointer)).toEqual(['/deployment/policies/decodeBatching', '/deployment/policies/evictAtEos']);
    expect(userError(() => checkScenario(l.scenario, l.file)).message).toMatch(/and 1 more problem/);
  });
  it('the same policies on a P/D deployment are fine, and so are the defaults on a colocated one', () => {
    expect(scenarioProblems(loadScenario('scenarios/dual-l4-disagg.yaml').scenario)).toEqual([]);
    expect(scenarioProblems(loadScenario('scenarios/quickstart.yaml').scenario)).toEqual([]);
  });
  it('the builder runs the check', () => {
    const l = loadScenario('scenarios/quickstart.yaml', ['deployment.policies.adaptiveBatchTpotMs=5']);
    expect(() => buildDeployment(l.scenario, l.file, undefined as never, undefined as never, undefined as never, { fastForward: true })).toThrow(/adaptiveBatchTpotMs/);
  });
});
