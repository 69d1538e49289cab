import { describe, expect, it } from 'vitest';
import { HashBlockKeys } from './hash-block-keys.js';
import { RandomStreams } from '../kernel/random.js';
import { MapTierStore } from './map-reference-testing.js';
import { TierStore, type Holds } from './tier-store.js';

/**
 * Key arrays of a prefix tree: each new array copies a prefix of an existing one (or none) and adds
 * fresh ids, so a key fixes its position and every key before it (chain hashes, as the engine's).
 */
function prefixTree(rng: { intBetween(a: number, b: number): number; next(): number }, arrays: number, maxLen: number): number[][] {
  const out: number[][] = [];
  let id = 1;
  for (let k = 0; k < arrays; k++) {
    const base = out.length > 0 && rng.next() < 0.8 ? out[rng.intBetween(0, out.length - 1)]! : [];
    const keep = rng.intBetween(0, base.length);
    const keys = base.slice(0, keep);
    const len = Math.max(keep + 1, rng.intBetween(1, maxLen));
    while (keys.length < len) keys.push(id++);
    out.push(keys);
  }
  return out;
}

describe('TierStore (runs) against the per-block MapTierStore', () => {
  const sizes: [number, number][] = [[3, 5], [6, 0], [15, 30], [2, 2], [1, 0], [1, 1], [40, 100], [25, 8]];
  it.each(sizes)('same lists, holds, hits and counters after every random operation (cpu %i, disk %i blocks)', (cpu, disk) => {
    const rng = new RandomStreams(17 + cpu * 7 + disk).stream('tier-runs');
    const tree = prefixTree(rng, 60, 24);
    const universe = [...new Set(tree.flat())];
    const keysOf = new Map(tree.map((t) => [t, HashBlockKeys.of(t)])); // one keys object per array, as a request's
    const fast = new TierStore({ cpuBlocks: cpu, diskBlocks: disk, blockBytes: 3 });
    const ref = new MapTierStore(cpu, disk, 3);
    const flows: { fast: Holds; ref: readonly number[] }[] = [];
    const seen = { loads: 0, diskLoads: 0, midRun: 0, demoted: 0 };
    const recent: number[][] = [];
    for (let step = 0; step < 3000; step++) {
      const op = rng.next();
      // Loads mostly of recently offloaded prompts (a tiny tier holds little else).
      const keys = op >= 0.3 && op < 0.65 && recent.length > 0 && rng.next() < 0.8 ? recent[rng.intBetween(0, recent.length - 1)]! : tree[rng.intBetween(0, tree.length - 1)]!;
      const K = keysOf.get(keys)!;
      if (op < 0.3) {
        const a = fast.offload(K, 0, keys.length);
        const b = ref.offload(keys, 0, keys.length);
        recent.push(keys);
        if (recent.length > 4) recent.shift();
        expect([a.written.blocks, a.demoted.blocks]).toEqual([b.written.length, b.demoted.length]);
        flows.push({ fast: a.written, ref: b.written }, { fast: a.demoted, ref: b.demoted });
        if (a.demoted.blocks > 0) seen.demoted++;
      } else if (op < 0.65) {
        // A load after a GPU hit of `from` blocks: what the offload connector does on admission.
        const from = rng.intBetween(0, Math.min(keys.length - 1, Math.max(1, cpu >> 1)));
        const hits = ref.readyHits(keys, from, keys.length);
        expect(fast.readyHits(K, from, keys.length)).toBe(hits);
        if (hits > 0) {
          const a = fast.load(K, from, from + hits);
          const b = ref.load(keys, from, from + hits);
          expect([a.cpu, a.disk, a.demoted.blocks, a.read.blocks]).toEqual([b.cpu, b.disk, b.demoted.length, b.read.length]);
          flows.push({ fast: a.demoted, ref: b.demoted }, { fast: a.read, ref: b.read });
          seen.loads++;
          if (b.disk > 0) seen.diskLoads++;
          if (from > 0) seen.midRun++;
        }
      } else if (op < 0.95) {
        // Flows land in random order, up to three at a time.
        for (let k = rng.intBetween(1, 4); k > 0 && flows.length > 0; k--) {
          const f = flows.splice(rng.intBetween(0, flows.length - 1), 1)[0]!;
          fast.land(f.fast);
          ref.land(f.ref);
        }
      } else {
        const from = rng.intBetween(0, keys.length - 1);
        const to = rng.intBetween(from, keys.length);
        expect(fast.readyHits(K, from, to)).toBe(ref.readyHits(keys, from, to));
      }
      expect(fast.listKeys('cpu')).toEqual(ref.listKeys('cpu'));
      expect(fast.listKeys('disk')).toEqual(ref.listKeys('disk'));
      expect(fast.stats()).toEqual(ref.stats());
      expect(fast.heldInFlight).toBe(ref.heldInFlight);
      for (const k of keys) expect(fast.holdCount(k)).toBe(ref.holdCount(k));
      // Every step: the index (deferred re-keys included, flushIndex) must agree with the lists after each call.
      fast.checkInvariants();
      if (step % 50 === 0) {
        for (const k of universe) expect(fast.holdCount(k)).toBe(ref.holdCount(k));
        ref.checkInvariants();
      }
    }
    for (const f of flows.splice(0)) {
      fast.land(f.fast);
      ref.land(f.ref);
    }
    expect(fast.heldInFlight).toBe(0);
    fast.checkInvariants();
    // The run exercised what it is meant to: loads after mid-run GPU hits, read-backs, demotions, evictions.
    expect(seen.loads).toBeGreaterThan(30);
    if (cpu > 1) expect(seen.midRun).toBeGreaterThan(15);
    if (disk > 0) expect([seen.diskLoads, seen.demoted].every((n) => n > 10)).toBe(true);
    expect(fast.stats().evictions).toBeGreaterThan(100);
  }, 60_000);

  // Hand-computed cases (ported from the per-block store's tests): one-block prompts are chain keys too.
  const store1 = (t: TierStore, k: number) => {
    const h = t.offload(HashBlockKeys.of([k]), 0, 1);
    t.land(h.written);
    t.land(h.demoted);
  };
  it('evicts the least recently used block when there is no disk tier', () => {
    const t = new TierStore({ cpuBlocks: 3, blockBytes: 100 });
    for (const k of [1, 2, 3]) store1(t, k);
    t.load(HashBlockKeys.of([1]), 0, 1); // 1 is now the most recent; 2 is the LRU
    store1(t, 4);
    expect(t.listKeys('cpu')).toEqual([3, 1, 4]);
    expect(t.stats()).toMatchObject({ blocksIn: 4, evictions: 1, cpuHitBlocks: 1, lookups: 1, bytesGpuToCpu: 400 });
    t.checkInvariants();
  });

  it('demotes CPU LRU blocks to disk, then evicts from disk LRU when disk is full', () => {
    const t = new TierStore({ cpuBlocks: 2, diskBlocks: 2, blockBytes: 100 });
    store1(t, 10);
    store1(t, 11);
    const d = [12, 13, 14].map((k) => t.offload(HashBlockKeys.of([k]), 0, 1).demoted);
    expect(d.map((h) => [h.keysAt(0).at(h.loAt(0)), h.blocks])).toEqual([[10, 1], [11, 1], [12, 1]]);
    expect([t.listKeys('cpu'), t.listKeys('disk')]).toEqual([[13, 14], [11, 12]]);
    expect(t.stats()).toMatchObject({ blocksIn: 5, cpuHeld: 2, diskHeld: 2, evictions: 1, demotions: 3, bytesGpuToCpu: 500, bytesCpuToDisk: 300 });
    t.checkInvariants();
  });

  it('loads a prefix from both tiers: refreshes it, reads the disk blocks back highest first, demoting the CPU LRU ones', () => {
    const t = new TierStore({ cpuBlocks: 2, diskBlocks: 4, blockBytes: 1 });
    const keys = HashBlockKeys.of([1, 2, 3, 4, 99, 5]);
    const h = t.offload(keys, 0, 4);
    // Stored tail first: 4, 3 fill the CPU tier, 2 and 1 push them to disk.
    expect([t.listKeys('cpu'), t.listKeys('disk'), h.written.blocks, h.demoted.blocks]).toEqual([[2, 1], [4, 3], 4, 2]);
    t.land(h.written);
    t.land(h.demoted);
    expect(t.readyHits(keys, 0, 6)).toBe(4);
    const l = t.load(keys, 0, 4);
    // Refresh: disk [4, 3], CPU [2, 1]; read 4 back (demotes 2), then 3 (demotes 1).
    expect([l.cpu, l.disk, l.demoted.blocks, l.read.blocks]).toEqual([2, 2, 2, 2]);
    expect([t.listKeys('cpu'), t.listKeys('disk')]).toEqual([[4, 3], [2, 1]]);
    expect(t.stats()).toMatchObject({ cpuHitBlocks: 2, diskHitBlocks: 2, lookups: 1, promotions: 2, demotions: 4, bytesDiskToCpu: 2 });
    expect(t.readyHits(keys, 0, 4)).toBe(0); // 1..4 are all moving again
    t.checkInvariants();
  });

  it('a held block is no hit until every flow holding it lands, also when it is dropped and stored again meanwhile', () => {
    const t = new TierStore({ cpuBlocks: 1, blockBytes: 1 });
    const a = t.offload(HashBlockKeys.of([5]), 0, 1).written;
    expect(t.readyHits(HashBlockKeys.of([5]), 0, 1)).toBe(0);
    const b = t.offload(HashBlockKeys.of([6]), 0, 1).written; // drops 5 while a still moves it
    const c = t.offload(HashBlockKeys.of([5]), 0, 1).written; // back, drops 6
    expect([t.holdCount(5), t.heldInFlight, t.stats().evictions]).toEqual([2, 3, 2]);
    t.land(a);
    t.land(b);
    expect(t.readyHits(HashBlockKeys.of([5]), 0, 1)).toBe(0);
    t.land(c);
    expect(t.readyHits(HashBlockKeys.of([5]), 0, 1)).toBe(1);
    expect(() => t.land(c)).toThrow(/landed twice/);
    t.checkInvariants();
  });

  it('keeps a stored prompt as one run and finds a load that starts mid-run with one probe per run', () => {
    const t = new TierStore({ cpuBlocks: 100, diskBlocks: 100, blockBytes: 1 });
    const ids = Array.from({ length: 40 }, (_, i) => 1000 + i);
    const keys = HashBlockKeys.of(ids);
    const h = t.offload(keys, 0, 40);
    expect([h.written.blocks, h.written.stretches, h.demoted.blocks, t.runCount, t.cpuHeld]).toEqual([40, 1, 0, 1, 40]);
    expect(t.readyHits(keys, 10, 40)).toBe(0); // moving
    t.land(h.written);
    const probes = t.ops.probes;
    expect(t.readyHits(keys, 10, 40)).toBe(30);
    // One probe: keys[0] starts the run that holds keys[10..40).
    expect(t.ops.probes - probes).toBe(1);
    const l = t.load(keys, 10, 40);
    expect([l.cpu, l.disk]).toEqual([30, 0]);
    // The refreshed blocks 10..39 are the newest, 0..9 the oldest: two runs, LRU first.
    expect(t.listKeys('cpu')).toEqual([...ids.slice(0, 10).reverse(), ...ids.slice(10).reverse()]);
    expect(t.runCount).toBe(2);
    t.checkInvariants();
  });

  it('throws on keys that are not chain hashes (a run start met at another index)', () => {
    const t = new TierStore({ cpuBlocks: 10, blockBytes: 1 });
    t.land(t.offload(HashBlockKeys.of([1, 2, 3]), 0, 3).written);
    t.load(HashBlockKeys.of([1, 2, 3]), 1, 3); // splits the run: 2 starts one
    expect(() => t.offload(HashBlockKeys.of([2, 3]), 0, 2)).toThrow(/not chain hashes/);
  });
});
