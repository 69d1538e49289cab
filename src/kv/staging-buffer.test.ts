import { describe, expect, it } from 'vitest';
import { Simulator } from '../kernel/simulator.js';
import { RandomStreams } from '../kernel/random.js';
import { UserError } from '../errors.js';
import { StagingBuffer, type Reservation } from './staging-buffer.js';

const MiB = 1 << 20;

describe('StagingBuffer', () => {
  it('grants through the event queue, never inside reserve()', () => {
    const sim = new Simulator();
    const buf = new StagingBuffer(sim, { capacityBytes: 4 * MiB, pageBytes: MiB });
    const log: string[] = [];
    expect(buf.reserve(1, 1.5 * MiB, (r) => log.push(`granted ${r.pages.join(',')}`))).toBe('granted');
    log.push('after reserve');
    sim.run();
    expect(log).toEqual(['after reserve', 'granted 0,1']);
    expect(buf.usedBytes).toBe(2 * MiB);
    expect(buf.pagesOf(1)).toEqual([0, 1]);
  });

  it('applies back-pressure in strict FIFO order, the head never overtaken by smaller requests', () => {
    const sim = new Simulator();
    const buf = new StagingBuffer(sim, { capacityBytes: 4 * MiB, pageBytes: MiB });
    const granted: [number, number][] = [];
    const onGranted = (r: Reservation): void => void granted.push([r.reqId, sim.now]);
    buf.reserve(1, 3 * MiB, onGranted);
    expect(buf.reserve(2, 2 * MiB, onGranted)).toBe('queued');
    // Would fit in the one free page, but must wait behind request 2.
    expect(buf.reserve(3, 1 * MiB, onGranted)).toBe('queued');
    sim.schedule(0.5, () => buf.release(1));
    sim.run();
    expect(granted).toEqual([
      [1, 0],
      [2, 0.5],
      [3, 0.5],
    ]);
    const s = buf.stats();
    expect(s.waits).toBe(2);
    expect(s.backPressureWaitS).toBeCloseTo(1.0, 12);
    expect(s.maxQueueLength).toBe(2);
    expect(s.peakUsedBytes).toBe(3 * MiB);
  });

  it('frees one layer reservation at a time and drops a released request from the queue', () => {
    const sim = new Simulator();
    const buf = new StagingBuffer(sim, { capacityBytes: 2 * MiB, pageBytes: MiB });
    const held: Reservation[] = [];
    buf.reserve(7, MiB, (r) => held.push(r));
    buf.reserve(7, MiB, (r) => held.push(r));
    let queuedRan = false;
    buf.reserve(8, MiB, () => (queuedRan = true));
    buf.reserve(9, MiB, (r) => held.push(r));
    buf.release(8);
    sim.run();
    expect(held.map((r) => r.reqId)).toEqual([7, 7]);
    buf.free(held[0]!);
    sim.run();
    expect(queuedRan).toBe(false);
    expect(held.map((r) => r.reqId)).toEqual([7, 7, 9]);
    expect(buf.pagesOf(7)).toEqual([1]);
    expect(buf.pagesOf(9)).toEqual([0]);
  });

  it('rejects a buffer smaller than the given minimum, naming the size', () => {
    const sim = new Simulator();
    const make = (): StagingBuffer =>
      new StagingBuffer(sim, { capacityBytes: 4 * MiB, pageBytes: MiB, minimum: { bytes: 8 * MiB, what: "one layer's KV of the largest prompt" } });
    expect(make).toThrow(UserError);
    expect(make).toThrow(/4194304 bytes.*smaller than one layer's KV of the largest prompt \(8388608 bytes\)/);
    const buf = new StagingBuffer(sim, { capacityBytes: 4 * MiB, pageBytes: MiB });
    expect(() => buf.reserve(1, 5 * MiB, () => {})).toThrow(/exceeds the whole buffer/);
  });

  it('conserves pages over a randomized run and reports time-weighted occupancy', () => {
    const rng = new RandomStreams(11).stream('staging');
    const sim = new Simulator();
    const occupancy: number[] = [];
    const buf = new StagingBuffer(sim, { capacityBytes: 64 * MiB, pageBytes: MiB, onOccupancy: (_, used) => occupancy.push(used) });
    let granted = 0;
    for (let req = 0; req < 500; req++) {
      sim.schedule(rng.next() * 10, () => {
        buf.reserve(req, rng.next() * 20 * MiB, (r) => {
          granted++;
          // No page is ever held twice.
          const all = Array.from({ length: 500 }, (_, id) => buf.pagesOf(id)).flat();
          expect(new Set(all).size).toBe(all.length);
          expect(all.length * MiB).toBe(buf.usedBytes);
          sim.schedule(rng.next() * 0.2, () => buf.release(r.reqId));
        });
      });
    }
    sim.run();
    expect(granted).toBe(500);
    expect(buf.usedBytes).toBe(0);
    expect(buf.freeBytes).toBe(64 * MiB);
    expect(Math.max(...occupancy)).toBeLessThanOrEqual(64 * MiB);
    const s = buf.stats();
    expect(s.waits).toBeGreaterThan(0);
    expect(s.meanUsedBytes).toBeGreaterThan(0);
    expect(s.meanUsedBytes).toBeLessThanOrEqual(s.peakUsedBytes);
  });

  it('hands out exactly the page numbers of a stack of single pages (the run-length free list)', () => {
    const rng = new RandomStreams(5).stream('pages');
    const sim = new Simulator();
    const cap = 200;
    const buf = new StagingBuffer(sim, { capacityBytes: cap * MiB, pageBytes: MiB });
    // Reference: the free list as a plain stack of page indices, popped from the end.
    const stack = Array.from({ length: cap }, (_, i) => cap - 1 - i);
    const held: Reservation[] = [];
    const expected = new Map<Reservation, number[]>();
    let checked = 0;
    for (let step = 0; step < 3000; step++) {
      if (held.length > 0 && (rng.next() < 0.45 || stack.length < 25)) {
        const r = held.splice(Math.floor(rng.next() * held.length), 1)[0]!;
        buf.free(r);
        const pages = expected.get(r)!;
        for (let i = pages.length - 1; i >= 0; i--) stack.push(pages[i]!);
      } else {
        const bytes = (1 + Math.floor(rng.next() * 24)) * MiB - Math.floor(rng.next() * MiB);
        buf.reserve(step, bytes, (r) => held.push(r));
        sim.run();
        const r = held[held.length - 1]!;
        const want = Array.from({ length: Math.ceil(bytes / MiB) }, () => stack.pop()!);
        expected.set(r, want);
        expect(r.pages).toEqual(want);
        checked++;
      }
      expect(buf.freeBytes).toBe(stack.length * MiB);
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('keeping counts only gives the same grants, occupancy samples and figures as keeping page numbers', () => {
    const run = (pageNumbers: boolean) => {
      const rng = new RandomStreams(23).stream('counts');
      const sim = new Simulator();
      const samples: string[] = [];
      const buf = new StagingBuffer(sim, { capacityBytes: 48 * MiB, pageBytes: MiB, pageNumbers, onOccupancy: (t, used) => samples.push(`${t} ${used}`) });
      for (let req = 0; req < 400; req++) {
        sim.schedule(rng.next() * 8, () => {
          // Several reservations per request, freed one at a time or released together; some of 0 bytes.
          const layers = 1 + Math.floor(rng.next() * 3);
          const oneByOne = rng.next() < 0.5;
          let granted = 0;
          for (let l = 0; l < layers; l++) {
            const bytes = rng.next() < 0.1 ? 0 : rng.next() * 9 * MiB;
            buf.reserve(req, bytes, (r) => {
              samples.push(`grant ${req} ${sim.now}`);
              if (oneByOne) sim.schedule(rng.next() * 0.1, () => buf.free(r));
              else if (++granted === layers) sim.schedule(rng.next() * 0.1, () => samples.push(`released ${buf.release(req)}`));
            });
          }
        });
      }
      sim.run();
      return { samples, stats: buf.stats(), free: buf.freeBytes };
    };
    const counted = run(false);
    const numbered = run(true);
    expect(counted.samples.length).toBeGreaterThan(1000);
    expect(counted.stats.waits).toBeGreaterThan(0);
    expect(counted).toEqual(numbered);
    expect(counted.free).toBe(48 * MiB);
  });

  it('keeps each request\'s reservations in grant order whatever order they are freed in, and refuses a free of one not held', () => {
    const rng = new RandomStreams(41).stream('order');
    const sim = new Simulator();
    const buf = new StagingBuffer(sim, { capacityBytes: 400 * MiB, pageBytes: MiB });
    const other = new StagingBuffer(sim, { capacityBytes: 4 * MiB, pageBytes: MiB });
    // Reference: per request, the reservations still held, in grant order.
    const held = new Map<number, Reservation[]>();
    let frees = 0;
    for (let step = 0; step < 4000; step++) {
      const req = Math.floor(rng.next() * 6);
      const list = held.get(req) ?? [];
      if (list.length > 0 && rng.next() < 0.02) {
        // The whole request at once; its next take starts a new list.
        expect(buf.release(req)).toBe(list.reduce((n, r) => n + r.pages.length, 0));
        for (const r of list) expect(() => buf.free(r)).toThrow(/not held/);
        list.length = 0;
      } else if (list.length > 0 && (rng.next() < 0.5 || buf.freeBytes < 30 * MiB)) {
        // First, last or a middle one: the list must unlink each.
        const r = list.splice(Math.floor(rng.next() * list.length), 1)[0]!;
        buf.free(r);
        frees++;
        expect(() => buf.free(r)).toThrow(/not held/);
        expect(() => other.free(r)).toThrow(/not held/);
      } else {
        const r = buf.reserveNow(req, (1 + Math.floor(rng.next() * 4)) * MiB);
        expect(r).not.toBeNull();
        list.push(r!);
      }
      held.set(req, list);
      expect(buf.pagesOf(req)).toEqual(list.flatMap((r) => r.pages));
    }
    expect(frees).toBeGreaterThan(1000);
    for (const [req, list] of held) expect(buf.release(req)).toBe(list.reduce((n, r) => n + r.pages.length, 0));
    expect(buf.freeBytes).toBe(400 * MiB);
    // A request released, then granted again: a new list, the old one gone.
    const again = buf.reserveNow(3, MiB)!;
    expect(buf.pagesOf(3)).toEqual(again.pages);
    expect(buf.release(3)).toBe(1);
    expect(buf.pagesOf(3)).toEqual([]);
  });

  it('keeps the page table right across sweeps of emptied entries (thousands of requests, some coming back)', () => {
    const rng = new RandomStreams(43).stream('sweep');
    const sim = new Simulator();
    const buf = new StagingBuffer(sim, { capacityBytes: 64 * MiB, pageBytes: MiB });
    const held = new Map<number, Reservation[]>();
    let nextReq = 0;
    for (let step = 0; step < 30000; step++) {
      const live = [...held.keys()];
      const u = rng.next();
      if (live.length > 0 && (u < 0.45 || buf.freeBytes < 8 * MiB)) {
        const req = live[Math.floor(rng.next() * live.length)]!;
        const list = held.get(req)!;
        buf.free(list.splice(Math.floor(rng.next() * list.length), 1)[0]!);
        if (list.length === 0) held.delete(req);
      } else if (live.length > 0 && u < 0.47) {
        const req = live[Math.floor(rng.next() * live.length)]!;
        expect(buf.release(req)).toBe(held.get(req)!.reduce((n, r) => n + r.pages.length, 0));
        held.delete(req);
      } else {
        // A new request mostly; now and then one whose reservations all went, or one still holding some.
        const req = rng.next() < 0.9 || nextReq === 0 ? nextReq++ : Math.floor(rng.next() * nextReq);
        const r = buf.reserveNow(req, (1 + Math.floor(rng.next() * 3)) * MiB)!;
        expect(r).not.toBeNull();
        held.set(req, [...(held.get(req) ?? []), r]);
      }
      if (step % 97 === 0) for (let req = Math.max(0, nextReq - 300); req < nextReq; req++) expect(buf.pagesOf(req)).toEqual((held.get(req) ?? []).flatMap((r) => r.pages));
    }
    expect(nextReq).toBeGreaterThan(5000);
    for (const [req, list] of held) expect(buf.pagesOf(req)).toEqual(list.flatMap((r) => r.pages));
  });

  it('takes by count (takeAt, takeAtOf, freeTakenAt, adoptTaken) with the occupancy samples and figures of reservations', () => {
    // The same random run twice on counts-only buffers: once with reservation objects, once by count
    // (some handed over as reservations and freed as such, as a chain of copies hands its chunks over).
    // takeAtOf: the same takes with each time read from a list of step times, as a layer chain's.
    const run = (byCount: boolean, fromList = false) => {
      const rng = new RandomStreams(47).stream('taken');
      const sim = new Simulator();
      const samples: string[] = [];
      const buf = new StagingBuffer(sim, { capacityBytes: 40 * MiB, pageBytes: MiB, pageNumbers: false, onOccupancy: (t, used) => samples.push(`${t} ${used}`) });
      const held: { req: number; bytes: number; r: Reservation | null }[] = [];
      const timesS: number[] = [];
      let t = 0;
      for (let step = 0; step < 3000; step++) {
        t += rng.next();
        if (held.length > 0 && (rng.next() < 0.5 || buf.freePagesUnqueued < 8)) {
          const h = held.splice(Math.floor(rng.next() * held.length), 1)[0]!;
          const adopt = rng.next() < 0.3;
          if (h.r !== null) buf.freeAt(h.r, t);
          else if (adopt) buf.freeAt(buf.adoptTaken(h.req, h.bytes, t), t);
          else buf.freeTakenAt(h.req, h.bytes, t);
        } else {
          const req = Math.floor(rng.next() * 30);
          const bytes = (0.5 + rng.next() * 5) * MiB;
          if (byCount) {
            timesS.push(t);
            expect(fromList ? buf.takeAtOf(req, bytes, timesS, timesS.length - 1) : buf.takeAt(req, bytes, t)).toBe(true);
            held.push({ req, bytes, r: null });
          } else held.push({ req, bytes, r: buf.reserveAt(req, bytes, t)! });
        }
        samples.push(`free ${buf.freePagesUnqueued}`);
      }
      // What is still held goes with its request.
      const released = [...new Set(held.map((h) => h.req))].map((req) => buf.release(req));
      return { samples, released, stats: buf.stats(), free: buf.freeBytes };
    };
    const objects = run(false);
    const counted = run(true);
    expect(objects.samples.length).toBeGreaterThan(5000);
    expect(counted).toEqual(objects);
    expect(run(true, true)).toEqual(objects);
    expect(counted.free).toBe(40 * MiB);
  });

  it('refuses frees of pages not taken, and takes by count on a buffer that keeps page numbers', () => {
    const sim = new Simulator();
    const buf = new StagingBuffer(sim, { capacityBytes: 8 * MiB, pageBytes: MiB, pageNumbers: false });
    expect(buf.takeAt(1, 2 * MiB, 0)).toBe(true);
    expect(() => buf.freeTakenAt(1, 3 * MiB, 0)).toThrow(/not taken/);
    expect(() => buf.adoptTaken(2, MiB, 0)).toThrow(/not taken/);
    expect(buf.takeAt(1, 7 * MiB, 0)).toBe(false);
    buf.freeTakenAt(1, 2 * MiB, 0);
    expect(buf.freeBytes).toBe(8 * MiB);
    const numbered = new StagingBuffer(sim, { capacityBytes: 8 * MiB, pageBytes: MiB });
    expect(() => numbered.takeAt(1, MiB, 0)).toThrow(/counts only/);
  });
});
