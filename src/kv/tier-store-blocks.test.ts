import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../kernel/random.js';
import { MapTierStore } from './map-reference-testing.js';
import { BlockTierStore as TierStore } from './tier-store-blocks.js';

describe('BlockTierStore (the per-block reference)', () => {
  it('evicts the least recently used block when there is no disk tier', () => {
    const t = new TierStore({ cpuBlocks: 3, blockBytes: 100 });
    t.store([1]);
    t.store([2]);
    t.store([3]);
    t.lookup([1]); // 1 is now the most recent; 2 is the LRU
    const r = t.store([4]);
    expect(r).toEqual({ written: [4], alreadyHeld: [], demoted: [], evicted: [2] });
    expect(t.peek([1, 3, 4])).toEqual(['cpu', 'cpu', 'cpu']);
    expect(t.tierOf(2)).toBeUndefined();
    t.checkInvariants();
  });

  it('demotes CPU LRU blocks to disk, then evicts from disk LRU when disk is full', () => {
    const t = new TierStore({ cpuBlocks: 2, diskBlocks: 2, blockBytes: 100 });
    t.store([10]);
    t.store([11]);
    expect(t.store([12])).toMatchObject({ demoted: [10], evicted: [] });
    expect(t.store([13])).toMatchObject({ demoted: [11], evicted: [] });
    expect(t.store([14])).toMatchObject({ demoted: [12], evicted: [10] });
    expect([10, 11, 12, 13, 14].map((h) => t.tierOf(h))).toEqual([undefined, 'disk', 'disk', 'cpu', 'cpu']);
    const s = t.stats();
    expect(s).toMatchObject({ blocksIn: 5, cpuHeld: 2, diskHeld: 2, evictions: 1, demotions: 3, bytesGpuToCpu: 500, bytesCpuToDisk: 300 });
    t.checkInvariants();
  });

  it('looks up the longest held prefix, tier by tier, and counts hits', () => {
    const t = new TierStore({ cpuBlocks: 2, diskBlocks: 4, blockBytes: 1 });
    t.store([1, 2, 3, 4]);
    // Stored tail first, so the head (1, 2) stays in CPU and the tail went to disk.
    expect(t.lookup([1, 2, 3, 4, 99, 5])).toEqual(['cpu', 'cpu', 'disk', 'disk']);
    expect(t.stats()).toMatchObject({ cpuHitBlocks: 2, diskHitBlocks: 2, lookups: 1 });
    expect(t.peek([99, 1])).toEqual([]);
  });

  it('promotes disk blocks back to CPU and rewrites disk-only blocks on store', () => {
    const t = new TierStore({ cpuBlocks: 2, diskBlocks: 4, blockBytes: 1 });
    t.store([1, 2, 3]);
    expect(t.tierOf(3)).toBe('disk');
    const p = t.promote([3]);
    expect(p).toMatchObject({ promoted: [3], demoted: [2] });
    expect(t.tierOf(3)).toBe('cpu');
    const s = t.store([2]);
    expect(s.written).toEqual([2]);
    expect(t.stats().blocksIn).toBe(3);
    t.checkInvariants();
  });

  it('conserves blocks (in = held + evicted) over randomized runs', () => {
    for (const disk of [0, 50]) {
      const rng = new RandomStreams(3).stream(`tiers${disk}`);
      const t = new TierStore({ cpuBlocks: 20, diskBlocks: disk, blockBytes: 4096 });
      for (let i = 0; i < 2000; i++) {
        const start = rng.intBetween(0, 200);
        const hashes = Array.from({ length: rng.intBetween(1, 30) }, (_, k) => start + k);
        const op = rng.next();
        if (op < 0.5) t.store(hashes);
        else if (op < 0.8) t.lookup(hashes);
        else t.promote(hashes);
        t.checkInvariants();
      }
      const s = t.stats();
      expect(s.blocksIn).toBe(s.cpuHeld + s.diskHeld + s.evictions);
      expect(s.cpuHeld).toBe(20);
    }
  });

  it('moves exactly the blocks the Map-based store it replaces moves, in the same order (random prefix runs)', () => {
    for (const disk of [0, 60]) {
      const rng = new RandomStreams(9).stream(`diff${disk}`);
      const fast = new TierStore({ cpuBlocks: 25, diskBlocks: disk, blockBytes: 1 });
      const ref = new MapTierStore(25, disk);
      for (let i = 0; i < 5000; i++) {
        const start = rng.intBetween(0, 150);
        const hashes = Array.from({ length: rng.intBetween(1, 20) }, (_, k) => start + k);
        const op = rng.next();
        if (op < 0.4) expect(fast.store(hashes)).toEqual(ref.store(hashes));
        else if (op < 0.7) expect(fast.lookup(hashes)).toEqual(ref.lookup(hashes));
        else if (op < 0.9) expect(fast.promote(hashes)).toEqual(ref.promote(hashes));
        else expect(fast.peek(hashes)).toEqual(ref.peek(hashes));
        fast.checkInvariants();
      }
      const s = fast.stats();
      expect([s.blocksIn, s.evictions, s.demotions, s.promotions, s.cpuHeld, s.diskHeld]).toEqual([ref.blocksIn, ref.evictions, ref.demotions, ref.promotions, ref.cpu.size, ref.disk.size]);
      expect(ref.evictions).toBeGreaterThan(100);
      if (disk > 0) expect(ref.promotions).toBeGreaterThan(100);
    }
  });

  it('a held block is no hit until every flow holding it lands, also when it is dropped and stored again meanwhile', () => {
    const t = new TierStore({ cpuBlocks: 1, blockBytes: 1 });
    t.store([5]);
    t.hold([5]);
    t.hold([5]); // two flows carry block 5
    expect(t.readyTierOf(5)).toBeUndefined();
    expect(t.store([6]).evicted).toEqual([5]); // dropped while both flows are in flight
    t.release([5]);
    t.store([5]); // back, with one flow still moving it
    expect([t.tierOf(5), t.readyTierOf(5), t.heldInFlight]).toEqual(['cpu', undefined, 1]);
    t.checkInvariants();
    t.release([5]);
    expect(t.readyTierOf(5)).toBe('cpu');
    expect(() => t.release([5])).toThrow(/no flow holds/);
  });

  it("the engine's path (storeMoving, promoteHolding, releaseNodes) moves and holds what store/promote + hold by hash do (random runs, tiny tiers)", () => {
    for (const [cpu, disk] of [[3, 5], [6, 0], [15, 30], [2, 2]] as const) {
      const rng = new RandomStreams(9 + cpu).stream('engine');
      const byNode = new TierStore({ cpuBlocks: cpu, diskBlocks: disk, blockBytes: 1 });
      const byHash = new TierStore({ cpuBlocks: cpu, diskBlocks: disk, blockBytes: 1 });
      const ref = new MapTierStore(cpu, disk);
      const flows: { nodes: readonly number[]; hashes: number[] }[] = [];
      let orphaned = 0;
      let mismatches = 0;
      for (let i = 0; i < 2500; i++) {
        const start = rng.intBetween(0, 40);
        const hashes = Array.from({ length: rng.intBetween(1, 9) }, (_, k) => start + k);
        const op = rng.next();
        if (op < 0.4) {
          const want = ref.store(hashes);
          expect(byHash.store(hashes, true)).toEqual(want);
          const got = byNode.storeMoving(hashes);
          expect([got.written.length, got.demoted.length]).toEqual([want.written.length, want.demoted.length]);
          flows.push({ nodes: got.written, hashes: want.written }, { nodes: got.demoted, hashes: want.demoted });
        } else if (op < 0.6) {
          const want = ref.promote(hashes);
          expect(byHash.promote(hashes)).toEqual(want);
          byHash.hold(want.demoted);
          byHash.hold(hashes);
          const got = byNode.promoteHolding(hashes);
          flows.push({ nodes: got.demoted, hashes: want.demoted }, { nodes: got.read, hashes });
        } else {
          // Two flows land per step, so as many land as start.
          for (let k = 0; k < 2 && flows.length > 0; k++) {
            const f = flows.splice(rng.intBetween(0, flows.length - 1), 1)[0]!;
            byNode.releaseNodes(f.nodes);
            byHash.release(f.hashes);
          }
        }
        for (let h = 0; h < 50; h++) {
          if (byNode.readyTierOf(h) !== byHash.readyTierOf(h) || byNode.tierOf(h) !== ref.tierOf(h)) mismatches++;
        }
        if (byNode.heldInFlight !== byHash.heldInFlight) mismatches++;
        if (i % 20 === 0) {
          byNode.checkInvariants();
          byHash.checkInvariants();
          orphaned += byNode.orphanCount;
        }
      }
      expect(mismatches).toBe(0);
      for (const f of flows) byNode.releaseNodes(f.nodes);
      expect(byNode.heldInFlight).toBe(0);
      byNode.checkInvariants();
      expect(orphaned).toBeGreaterThan(0);
    }
  }, 60_000); // a random run of 10^4 steps: generous for a loaded machine

  it('answers readiness as a per-hash count of flows in flight beside the store did (random holds and releases)', () => {
    const rng = new RandomStreams(4).stream('holds');
    const fast = new TierStore({ cpuBlocks: 15, diskBlocks: 30, blockBytes: 1 });
    // The same, holding the written and demoted blocks inside store (the engine's path).
    const inStore = new TierStore({ cpuBlocks: 15, diskBlocks: 30, blockBytes: 1 });
    const ref = new MapTierStore(15, 30);
    const pending = new Map<number, number>();
    const flows: number[][] = [];
    let notReady = 0;
    let mismatches = 0;
    for (let i = 0; i < 3000; i++) {
      const start = rng.intBetween(0, 80);
      const hashes = Array.from({ length: rng.intBetween(1, 12) }, (_, k) => start + k);
      const op = rng.next();
      if (op < 0.35) {
        const a = fast.store(hashes);
        expect(a).toEqual(ref.store(hashes));
        expect(inStore.store(hashes, true)).toEqual(a);
        for (const moved of [a.written, a.demoted]) {
          if (moved.length === 0) continue;
          fast.hold(moved);
          for (const h of moved) pending.set(h, (pending.get(h) ?? 0) + 1);
          flows.push(moved);
        }
      } else if (op < 0.5) {
        const p = fast.promote(hashes);
        expect(p).toEqual(ref.promote(hashes));
        expect(inStore.promote(hashes)).toEqual(p);
      }
      else if (op < 0.85 && flows.length > 0) {
        const f = flows.splice(rng.intBetween(0, flows.length - 1), 1)[0]!;
        fast.release(f);
        inStore.release(f);
        for (const h of f) {
          const n = pending.get(h)! - 1;
          if (n === 0) pending.delete(h);
          else pending.set(h, n);
        }
      }
      for (let h = 0; h < 95; h++) {
        const want = pending.has(h) ? undefined : ref.tierOf(h);
        if (fast.readyTierOf(h) !== want || inStore.readyTierOf(h) !== want) mismatches++;
        if (want === undefined && ref.tierOf(h) !== undefined) notReady++;
      }
      if (i % 10 === 0) {
        fast.checkInvariants();
        inStore.checkInvariants();
      }
    }
    expect(mismatches).toBe(0);
    expect(notReady).toBeGreaterThan(1000);
  });
});

