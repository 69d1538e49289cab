import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../kernel/random.js';
import { createRouter, leastOutstandingTokens, powerOfTwo, prefixAffinity, roundRobin, routingPolicyNames } from './index.js';
import { leastLoadedIndex } from './least-outstanding-tokens.js';
import { fnv1a, fnv1aOfNumberSlash } from './prefix-affinity.js';
import type { RouteCandidate } from './types.js';

const idle = (n: number): RouteCandidate[] =>
  Array.from({ length: n }, (_, i) => ({ id: `i${i}`, outstandingRequests: 0, outstandingTokens: 0 }));

/** The contract every policy meets. */
describe.each(routingPolicyNames)('router contract: %s', (name) => {
  const rng = new RandomStreams(7).stream('route');
  it('always returns a valid index, and 0 for a single candidate', () => {
    const r = createRouter(name, () => rng.next());
    for (let k = 0; k < 200; k++) {
      const n = 1 + (k % 5);
      const cands = idle(n).map((c, i) => ({ ...c, outstandingTokens: (k * 7 + i * 13) % 50 }));
      const i = r.pick(cands, { promptTokens: 100, prefixHashes: k % 2 ? [k % 3] : undefined });
      expect(Number.isInteger(i) && i >= 0 && i < n).toBe(true);
    }
    expect(r.pick(idle(1), { promptTokens: 1 })).toBe(0);
  });
  it('ignores every load figure it does not declare it reads', () => {
    // Same seed, same request counts; tokens scrambled (or absent) must not move a router that does not read them.
    const picks = (scramble: boolean): number[] => {
      const s = new RandomStreams(5).stream('route');
      const r = createRouter(name, () => s.next());
      return Array.from({ length: 60 }, (_, k) => {
        const cands = idle(4).map((c, i) => ({ ...c, outstandingRequests: (k + i * 3) % 5, outstandingTokens: r.reads === 'tokens' || !scramble ? (k * 11 + i * 7) % 40 : (k * 31 + i * 17) % 97 }));
        if (r.reads === 'none') cands.forEach((c, i) => { if (scramble) c.outstandingRequests = (k * 5 + i) % 9; });
        if (r.reads !== 'tokens' && scramble) cands.forEach((c) => delete (c as RouteCandidate).outstandingTokens);
        return r.pick(cands, { promptTokens: 10 });
      });
    };
    expect(picks(true)).toEqual(picks(false));
  });
  it('refuses an empty candidate list', () => {
    expect(() => createRouter(name, () => rng.next()).pick([], { promptTokens: 1 })).toThrow(/No candidate/);
  });
  it('is deterministic for the same inputs and seed', () => {
    const run = (): number[] => {
      const s = new RandomStreams(3).stream('route');
      const r = createRouter(name, () => s.next());
      return Array.from({ length: 50 }, (_, k) => r.pick(idle(4), { promptTokens: 10, prefixHashes: [k % 7] }));
    };
    expect(run()).toEqual(run());
  });
});

describe('policies', () => {
  it('round-robin cycles', () => {
    const r = roundRobin();
    expect([0, 1, 2, 3].map(() => r.pick(idle(3), { promptTokens: 1 }))).toEqual([0, 1, 2, 0]);
  });
  it('least outstanding tokens picks the lightest, ties by requests then index', () => {
    const c = idle(3);
    c[0]!.outstandingTokens = 10;
    c[1]!.outstandingTokens = 5;
    c[1]!.outstandingRequests = 2;
    c[2]!.outstandingTokens = 5;
    c[2]!.outstandingRequests = 1;
    expect(leastOutstandingTokens().pick(c, { promptTokens: 1 })).toBe(2);
  });
  it('power of two never picks the heavier of its two samples', () => {
    const c = idle(2);
    c[0]!.outstandingTokens = 100;
    const r = powerOfTwo(() => 0.3);
    expect(r.pick(c, { promptTokens: 1 })).toBe(1);
  });
  it('prefix affinity keeps a prefix on one instance and falls back when it is overloaded', () => {
    const r = prefixAffinity(2);
    const c = idle(4);
    const first = r.pick(c, { promptTokens: 10, prefixHashes: [42, 1] });
    expect(r.pick(c, { promptTokens: 10, prefixHashes: [42, 9] })).toBe(first);
    c[first]!.outstandingTokens = 1000;
    expect(r.pick(c, { promptTokens: 10, prefixHashes: [42] })).not.toBe(first);
    // Different prefixes spread over instances.
    const spread = new Set(Array.from({ length: 40 }, (_, h) => r.pick(idle(4), { promptTokens: 1, prefixHashes: [h] })));
    expect(spread.size).toBe(4);
  });
});

describe('what routers read', () => {
  it('declares tokens for the policies that compare outstanding tokens (power-of-two included), requests or none for the rest', () => {
    const reads = Object.fromEntries(routingPolicyNames.map((n) => [n, createRouter(n, () => 0.5).reads]));
    expect(reads).toEqual({ 'round-robin': 'none', 'least-loaded': 'requests', 'least-outstanding-tokens': 'tokens', 'power-of-two': 'tokens', 'prefix-aware': 'tokens' });
  });
  it('a token-reading router refuses a candidate without tokens instead of reading a request count', () => {
    expect(() => leastOutstandingTokens().pick([{ id: 'a', outstandingRequests: 1 }, { id: 'b', outstandingRequests: 0 }], { promptTokens: 1 })).toThrow(/outstandingTokens/);
  });
});

describe('leastLoadedIndex', () => {
  it('is the first of the lowest (tokens, requests) in the order given, over all or some candidates', () => {
    const rng = new RandomStreams(9).stream('cands');
    for (let k = 0; k < 500; k++) {
      const n = 1 + rng.intBetween(0, 6);
      const c = Array.from({ length: n }, (_, i) => ({ id: `i${i}`, outstandingRequests: rng.intBetween(0, 3), outstandingTokens: rng.intBetween(0, 4) }));
      const among = k % 2 === 0 ? undefined : Array.from({ length: 1 + rng.intBetween(0, n - 1) }, () => rng.intBetween(0, n - 1));
      const order = among ?? c.map((_, i) => i);
      // Reference: a stable sort by (tokens, requests) keeps the given order among equals.
      const ref = [...order].sort((a, b) => c[a]!.outstandingTokens - c[b]!.outstandingTokens || c[a]!.outstandingRequests - c[b]!.outstandingRequests)[0];
      expect(leastLoadedIndex(c, among)).toBe(ref);
    }
  });
});

describe('fnv1a', () => {
  it('hashes known vectors, and a continued hash equals the hash of the joined text', () => {
    // Reference values of 32-bit FNV-1a (Fowler, Noll, Vo): "" and "a".
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    const rng = new RandomStreams(2).stream('text');
    for (let k = 0; k < 200; k++) {
      const a = `${rng.intBetween(0, 2 ** 40)}/`;
      const b = `h${rng.intBetween(0, 999)}`;
      expect(fnv1a(b, fnv1a(a))).toBe(fnv1a(a + b));
    }
  });
});

describe('fnv1aOfNumberSlash', () => {
  it('equals fnv1a of the number\'s text and a slash, for keys of every size and the edges of the digit path', () => {
    const rng = new RandomStreams(4).stream('keys');
    const values: number[] = [0, -0, 1, 9, 10, 11, 99, 100, 2 ** 26, 2 ** 52, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e21, 1.5, -1, -(2 ** 40), NaN, Infinity, -Infinity];
    for (let e = 0; e <= 15; e++) values.push(10 ** e, 10 ** e - 1, 10 ** e + 1, 9 * 10 ** e + 9);
    for (let k = 0; k < 3000; k++) values.push(Math.floor(rng.next() * 2 ** (1 + (k % 53))), Math.floor(rng.next() * 2 ** 26) * 67_108_864 + Math.floor(rng.next() * 2 ** 26));
    for (const v of values) expect(fnv1aOfNumberSlash(v)).toBe(fnv1a(`${v}/`));
  });
});
