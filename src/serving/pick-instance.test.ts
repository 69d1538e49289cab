import { describe, expect, it } from 'vitest';
import { HashBlockKeys } from '../kv/hash-block-keys.js';
import { RandomStreams } from '../kernel/random.js';
import type { EngineInstance } from './instance.js';
import { pickInstance, type RouteState } from './pick-instance.js';
import { createRouter, routingPolicyNames, type RouteCandidate } from './routing/index.js';

/** The three things a pick reads of an instance, with a count of token reads. */
class FakeInstance {
  outstanding = 0;
  tokens = 0;
  tokenReads = 0;
  constructor(readonly name: string) {}
  outstandingTokens(): number {
    this.tokenReads++;
    return this.tokens;
  }
}

describe('pickInstance', () => {
  it.each(routingPolicyNames)('%s: reused candidates pick what the router picks from fresh ones, load changing between picks', (policy) => {
    const fakes = Array.from({ length: 5 }, (_, i) => new FakeInstance(`h${i}`));
    const instances = fakes as unknown as EngineInstance[];
    const state: RouteState = { next: 0 };
    const streams = new RandomStreams(4);
    const rng = streams.stream('router');
    // The reference: the same policy and seed, given new candidate objects at every pick.
    const refRng = new RandomStreams(4).stream('router');
    const ref = createRouter(policy, () => refRng.next());
    const load = new RandomStreams(8).stream('load');
    for (let k = 0; k < 300; k++) {
      for (const f of fakes) {
        f.outstanding = load.intBetween(0, 4);
        f.tokens = load.intBetween(0, 6);
      }
      const keys = k % 3 === 0 ? [] : [k % 7, 100 + k];
      const fresh: RouteCandidate[] = fakes.map((f) => (ref.reads === 'tokens' ? { id: f.name, outstandingRequests: f.outstanding, outstandingTokens: f.tokens } : { id: f.name, outstandingRequests: f.outstanding }));
      const want = ref.pick(fresh, { promptTokens: 50 + k, prefixHashes: keys.length > 0 ? keys : undefined });
      expect(pickInstance(policy, instances, state, rng, HashBlockKeys.of(keys), 50 + k)).toBe(instances[want]);
    }
    // Tokens are counted only by routers that read them, at most once per candidate and pick.
    const reads = fakes.reduce((n, f) => n + f.tokenReads, 0);
    if (ref.reads === 'tokens') expect(reads).toBeLessThanOrEqual(300 * fakes.length);
    else expect(reads).toBe(0);
    if (policy === 'power-of-two') expect(reads).toBeLessThanOrEqual(300 * 2);
  });

  it('builds new candidates for another instance list on the same state', () => {
    const a = [new FakeInstance('a0'), new FakeInstance('a1')] as unknown as EngineInstance[];
    const b = [new FakeInstance('b0'), new FakeInstance('b1'), new FakeInstance('b2')] as unknown as EngineInstance[];
    const state: RouteState = { next: 0 };
    const rng = new RandomStreams(1).stream('router');
    expect(a).toContain(pickInstance('round-robin', a, state, rng, HashBlockKeys.EMPTY));
    const picks = [0, 1, 2].map(() => pickInstance('round-robin', b, state, rng, HashBlockKeys.EMPTY));
    expect(new Set(picks).size).toBe(3);
    expect(picks.every((p) => b.includes(p))).toBe(true);
  });
});
