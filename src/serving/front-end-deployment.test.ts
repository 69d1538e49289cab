import { describe, expect, it } from 'vitest';
import { Simulator } from '../kernel/simulator.js';
import type { Deployment } from './deployment.js';
import { FrontEndDeployment } from './front-end-deployment.js';
import type { RequestSpec } from './types.js';

function recorder(sim: Simulator) {
  const seen: { what: string; id: number; t: number }[] = [];
  const inner: Deployment = {
    instances: [],
    abortedCount: 0,
    submit: (s) => seen.push({ what: 'submit', id: s.id, t: sim.now }),
    submitDecodeLeg: (s) => seen.push({ what: 'leg', id: s.id, t: sim.now }),
    abort: (id) => (seen.push({ what: 'abort', id, t: sim.now }), true),
  };
  return { inner, seen };
}
const spec = (id: number): RequestSpec => ({ id, arrivalS: 0, promptTokens: 10, outputTokens: 2 });

describe('FrontEndDeployment', () => {
  it('hands every request (and decode leg) to the engines requestMs after it arrives, in arrival order', () => {
    const sim = new Simulator();
    const { inner, seen } = recorder(sim);
    const fe = new FrontEndDeployment(inner, sim, 18.9);
    sim.scheduleAt(0.5, () => {
      fe.submit(spec(1));
      fe.submitDecodeLeg(spec(2));
    });
    sim.run();
    expect(seen.map((s) => [s.what, s.id])).toEqual([['submit', 1], ['leg', 2]]);
    for (const s of seen) expect(s.t).toBeCloseTo(0.5189, 12);
  });
  it('an abort during the front end reaches the engines with the request, so it is counted once there', () => {
    const sim = new Simulator();
    const { inner, seen } = recorder(sim);
    const fe = new FrontEndDeployment(inner, sim, 10);
    fe.submit(spec(7));
    expect(fe.abort(7)).toBe(true);
    expect(seen).toEqual([]);
    sim.run();
    expect(seen.map((s) => s.what)).toEqual(['submit', 'abort']);
  });
});
