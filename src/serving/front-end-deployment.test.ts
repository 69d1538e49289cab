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
  it('keeps each request with its own hand-off time over many sends, and aborts only the one asked for', () => {
    const sim = new Simulator();
    const { inner, seen } = recorder(sim);
    const fe = new FrontEndDeployment(inner, sim, 20);
    // 3000 sends 5 ms apart (four inside the front end at a time), past the queue's compaction at 1024.
    for (let i = 0; i < 3000; i++) sim.scheduleAt(i * 0.005, () => (i % 2 === 0 ? fe.submit(spec(i)) : fe.submitDecodeLeg(spec(i))));
    sim.scheduleAt(2000 * 0.005 + 0.001, () => expect(fe.abort(2000)).toBe(true));
    sim.run();
    const handed = seen.filter((s) => s.what !== 'abort');
    expect(handed.map((s) => s.id)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    for (const s of handed) {
      expect(s.what).toBe(s.id % 2 === 0 ? 'submit' : 'leg');
      expect(s.t).toBeCloseTo(s.id * 0.005 + 0.02, 12);
    }
    expect(seen.filter((s) => s.what === 'abort').map((s) => s.id)).toEqual([2000]);
  });
});
