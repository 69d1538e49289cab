/**
 * The CPU pinned staging buffer between a prefill GPU and a decode GPU (DESIGN.md setup B: KV goes
 * D2H into pinned host memory, then the decode GPU pulls it H2D). Bounded, paged, with a page table
 * per request; when it is full, reservations wait in strict FIFO order (back-pressure on the prefill
 * side) until pages are released. Moving the bytes is the caller's job, on the flow network.
 *
 * Strict FIFO, head-of-line blocking included: a large reservation at the head is never overtaken
 * by smaller ones, so it cannot starve.
 *
 * Pages are handed out as runs of consecutive indices (a layer's KV is tens of pages): the free
 * list is a stack of runs, which gives exactly the page numbers a stack of single pages would, with
 * O(runs) work per grant and free instead of O(pages). Page numbers are a view (no figure depends on
 * which pages a request holds, only on how many): with `pageNumbers: false` the buffer keeps counts
 * only, so a long run whose free list has fragmented into thousands of runs pays O(1) per grant.
 *
 * A claimant (a layer chain computed ahead, src/serving/disagg/layer-chain.ts) may hold the buffer
 * and apply its takes and frees later with their own times (reserveAt / freeAt); any other call first
 * makes it settle, so the buffer only ever sees operations in time order.
 */
import type { Simulator } from '../kernel/simulator.js';
import { UserError } from '../errors.js';
import { kvMessages } from '../messages/kv.js';

export interface StagingBufferOptions {
  capacityBytes: number;
  pageBytes: number;
  /**
   * The smallest buffer that can make progress, and what it is, for the message; the engine passes
   * one layer's KV of the largest prompt.
   */
  minimum?: { bytes: number; what: string };
  /** Called on every change of occupancy, for a timeline. */
  onOccupancy?: (timeS: number, usedBytes: number) => void;
  /** Kernel priority of grant events. */
  eventPriority?: number;
  /** Keep page numbers (pagesOf, Reservation.pages); default true. False: counts only (module note). */
  pageNumbers?: boolean;
}

export interface Reservation {
  readonly reqId: number;
  readonly bytes: number;
  /** Page indices held, once granted (empty when the buffer keeps counts only). */
  readonly pages: readonly number[];
  readonly requestedS: number;
  /** NaN until granted. */
  readonly grantedS: number;
}

/**
 * A staged chunk's pages held by count (takeAt, counts-only buffers) rather than as a reservation
 * object: its holder frees them with freeTakenAt(reqId, bytes) for its own request and bytes. A
 * layer chain or a batch-mates' episode hands copied chunks over as this, where adoptTaken made one
 * object per chunk (~126k per 20k requests of dual-l4-disagg, whose decode side reserves late).
 */
export const TAKEN_BY_COUNT: Reservation = Object.freeze({ reqId: -1, bytes: 0, pages: [], requestedS: NaN, grantedS: NaN });

interface Pending {
  reservation: MutableReservation;
  onGranted: (r: Reservation) => void;
}

/** Shared by every reservation of a buffer that keeps counts only (never written: pushRun runs only with page numbers). */
const NO_RUNS: number[] = [];

/** A request's entry in the page table: its granted reservations, first to last. */
interface Held {
  readonly buffer: StagingBuffer;
  readonly reqId: number;
  first: MutableReservation | null;
  last: MutableReservation | null;
  /** Pages its claimant took without reservation objects (takeAt; counts-only buffers). */
  taken: number;
  /** Still in the page table (an emptied entry stays there until a sweep or a release removes it). */
  inTable: boolean;
}

/** Emptied page-table entries swept out at once past this many (and past half the table). */
const SWEEP_EMPTIES = 1024;

function isEmpty(h: Held): boolean {
  return h.first === null && h.taken === 0;
}

class MutableReservation implements Reservation {
  /** Pages held, as [start, length] pairs in grant order (each run ascending); NO_RUNS with counts only. */
  runs: number[] = NO_RUNS;
  /**
   * Its request's granted reservations as a list in grant order (the page table's entry): a layer's
   * free unlinks it in O(1), with no array and no table lookup until the request's last one goes.
   */
  prev: MutableReservation | null = null;
  next: MutableReservation | null = null;
  /** The page-table entry holding it, or null. */
  heldIn: Held | null = null;
  /** Pages held. */
  count = 0;
  grantedS = NaN;
  constructor(
    readonly reqId: number,
    readonly bytes: number,
    readonly requestedS: number,
  ) {}
  get pages(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.runs.length; i += 2) for (let k = 0; k < this.runs[i + 1]!; k++) out.push(this.runs[i]! + k);
    return out;
  }
  get pageCount(): number {
    return this.count;
  }
}

export interface StagingBufferStats {
  capacityBytes: number;
  usedBytes: number;
  peakUsedBytes: number;
  /** Time-weighted mean occupancy since the start of the run. */
  meanUsedBytes: number;
  grants: number;
  /** Reservations that had to wait, and their total and worst wait. */
  waits: number;
  backPressureWaitS: number;
  maxWaitS: number;
  maxQueueLength: number;
}

/** Who holds the buffer for operations it applies later with their own times (module note). */
export interface StagingClaim {
  materialize(): void;
}

export class StagingBuffer {
  readonly pageBytes: number;
  /** The claimant, or null (module note). */
  claim: StagingClaim | null = null;
  readonly capacityPages: number;
  /**
   * Free pages as a stack of runs, [start, length] pairs, the top last: the next page handed out
   * is the top run's start (a stack of single pages, popped from the end, run-length encoded).
   */
  private readonly freeRuns: number[];
  private readonly trackPages: boolean;
  private freeCount: number;
  /** Page table: request id -> its granted reservations (a list, MutableReservation.next). */
  private readonly table = new Map<number, Held>();
  /** The entry of the last take (takes come in runs for one request: no lookup then). */
  private lastHeld: Held | null = null;
  /**
   * Emptied entries still in the table. Deleting each at once made V8 shrink (reallocate) the
   * table's storage on most deletes, ~7 % of a P/D run's allocation; they go in sweeps instead.
   */
  private empties = 0;
  private readonly queue: Pending[] = [];
  private usedPages = 0;
  private peakPages = 0;
  private pageSecondsIntegral = 0;
  private lastChangeS: number;
  private readonly createdS: number;
  private grants = 0;
  private waits = 0;
  private waitS = 0;
  private maxWaitS = 0;
  private maxQueue = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly opts: StagingBufferOptions,
  ) {
    if (!(opts.pageBytes > 0) || !Number.isInteger(opts.pageBytes)) {
      throw new RangeError(`Staging buffer page size must be a positive integer of bytes, got ${opts.pageBytes}`);
    }
    if (!(opts.capacityBytes >= 0)) throw new RangeError(`Staging buffer capacity must be >= 0 bytes, got ${opts.capacityBytes}`);
    this.pageBytes = opts.pageBytes;
    this.capacityPages = Math.floor(opts.capacityBytes / opts.pageBytes);
    const min = opts.minimum;
    if (min !== undefined && this.pagesFor(min.bytes) > this.capacityPages) {
      throw new UserError(kvMessages.stagingTooSmall(opts.capacityBytes, this.capacityPages, opts.pageBytes, min.what, min.bytes));
    }
    // Page 0 is handed out first: deterministic page numbers.
    this.trackPages = opts.pageNumbers ?? true;
    this.freeRuns = this.capacityPages > 0 ? [0, this.capacityPages] : [];
    this.freeCount = this.capacityPages;
    this.lastChangeS = sim.now;
    this.createdS = sim.now;
  }

  get usedBytes(): number {
    this.claim?.materialize();
    return this.usedPages * this.pageBytes;
  }

  get freeBytes(): number {
    this.claim?.materialize();
    return this.freeCount * this.pageBytes;
  }

  get queueLength(): number {
    this.claim?.materialize();
    return this.queue.length;
  }

  /** Pages free and none queued: what a claimant may count on (its own operations not yet applied). */
  get freePagesUnqueued(): number {
    return this.queue.length > 0 ? 0 : this.freeCount;
  }

  /** Pages `bytes` take. */
  pagesFor(bytes: number): number {
    return Math.ceil(bytes / this.pageBytes);
  }

  /** Pages held by a request (all its granted reservations), in grant order. */
  pagesOf(reqId: number): number[] {
    this.claim?.materialize();
    return this.heldOf(reqId).flatMap((r) => r.pages);
  }

  /**
   * Asks for `bytes` (rounded up to whole pages) for `reqId`. Pages are taken now when nobody is
   * queued and they fit, otherwise the call queues. Either way `onGranted` runs through the event
   * queue, never inside this call. A request may hold several reservations (one per layer).
   */
  reserve(reqId: number, bytes: number, onGranted: (r: Reservation) => void): 'granted' | 'queued' {
    this.claim?.materialize();
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`Staging reservation must be >= 0 bytes, got ${bytes}`);
    if (this.pagesFor(bytes) > this.capacityPages) {
      throw new RangeError(
        `Staging reservation of ${bytes} bytes for request ${reqId} exceeds the whole buffer (${this.capacityPages * this.pageBytes} bytes)`,
      );
    }
    const pending: Pending = { reservation: new MutableReservation(reqId, bytes, this.sim.now), onGranted };
    if (this.queue.length === 0 && this.fits(pending)) {
      this.grant(pending);
      return 'granted';
    }
    this.queue.push(pending);
    this.maxQueue = Math.max(this.maxQueue, this.queue.length);
    return 'queued';
  }

  /**
   * The synchronous form of `reserve` for a caller that goes on at once: the reservation when
   * nobody is queued and the pages fit (taken now, no grant event), else null and nothing changes
   * (the caller then queues with `reserve`).
   */
  reserveNow(reqId: number, bytes: number): Reservation | null {
    this.claim?.materialize();
    return this.reserveAt(reqId, bytes, this.sim.now);
  }

  /**
   * reserveNow as of `timeS` (not before the last change): the claimant's form, applying a take it
   * computed ahead. Null when it would queue.
   */
  reserveAt(reqId: number, bytes: number, timeS: number): Reservation | null {
    if (this.grantableNow(bytes) < 0) return null;
    const r = new MutableReservation(reqId, bytes, timeS);
    this.take(r, timeS);
    return r;
  }

  /** Frees one granted reservation's pages (the decode GPU pulled that layer). */
  free(reservation: Reservation): void {
    this.claim?.materialize();
    this.freeAt(reservation, this.sim.now);
  }

  /** free as of `timeS` (the claimant's form; nothing may be queued when it is not now). */
  freeAt(reservation: Reservation, timeS: number): void {
    const r = reservation as MutableReservation;
    if (!(r instanceof MutableReservation) || r.heldIn === null || r.heldIn.buffer !== this) throw new Error(`Reservation of request ${reservation.reqId} is not held`);
    this.unlink(r);
    if (this.trackPages) this.returnRuns(r.runs, timeS);
    else this.returnCount(r.count, timeS);
    if (this.queue.length > 0) this.drainQueue();
  }

  /** Whether it keeps page numbers (takeAt needs a buffer that keeps counts only). */
  get keepsPageNumbers(): boolean {
    return this.trackPages;
  }

  /**
   * reserveAt without a reservation object, for a claimant that frees the pages itself
   * (freeTakenAt) or hands them over as a reservation (adoptTaken) before anyone else may look:
   * any other call makes the claimant materialize first. Counts-only buffers; false when it would queue.
   */
  takeAt(reqId: number, bytes: number, timeS: number): boolean {
    if (this.trackPages) throw new Error('StagingBuffer.takeAt needs a buffer that keeps counts only');
    const n = this.grantableNow(bytes);
    if (n < 0) return false;
    const h = this.entryOf(reqId);
    if (isEmpty(h)) this.empties--;
    h.taken += n;
    // As take() for a reservation granted at once (no wait).
    this.integrate(timeS);
    this.countTaken(n, timeS);
    return true;
  }

  /**
   * takeAt at `timesS[i]`, for a layer chain: the time is read here, not passed in (a double passed
   * to a call that is not inlined is a fresh heap number, one per chain step; takeAt inlines here).
   * No freeTakenAt twin: its own inner calls box the time again (profiled: the bytes only moved).
   */
  takeAtOf(reqId: number, bytes: number, timesS: readonly number[], i: number): boolean {
    return this.takeAt(reqId, bytes, timesS[i]!);
  }

  /** Pages `bytes` takes when a grant may be made now (nobody queued, the pages free), else -1. */
  private grantableNow(bytes: number): number {
    const n = this.pagesFor(bytes);
    if (this.queue.length > 0 || n > this.freeCount) return -1;
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`Staging reservation must be >= 0 bytes, got ${bytes}`);
    return n;
  }

  /** The counts of a grant of `n` pages at `nowS` (take and takeAt; the integral is brought to nowS first). */
  private countTaken(n: number, nowS: number): void {
    this.freeCount -= n;
    this.usedPages += n;
    this.peakPages = Math.max(this.peakPages, this.usedPages);
    this.grants++;
    this.opts.onOccupancy?.(nowS, this.usedPages * this.pageBytes);
  }

  /** Frees pages taken with takeAt, as freeAt frees a reservation of `bytes`. */
  freeTakenAt(reqId: number, bytes: number, timeS: number): void {
    const n = this.pagesFor(bytes);
    const h = this.lastHeld !== null && this.lastHeld.reqId === reqId && this.lastHeld.inTable ? this.lastHeld : this.table.get(reqId);
    if (h === undefined || h.taken < n) throw new Error(`Pages of request ${reqId} were not taken`);
    h.taken -= n;
    if (isEmpty(h)) this.emptied();
    this.returnCount(n, timeS);
    if (this.queue.length > 0) this.drainQueue();
  }

  /** Pages taken with takeAt, handed over as a reservation granted at `grantedS` (nothing else changes). */
  adoptTaken(reqId: number, bytes: number, grantedS: number): Reservation {
    const n = this.pagesFor(bytes);
    const h = this.table.get(reqId);
    if (h === undefined || h.taken < n) throw new Error(`Pages of request ${reqId} were not taken`);
    const r = new MutableReservation(reqId, bytes, grantedS);
    r.count = n;
    r.grantedS = grantedS;
    // Linked first (the entry is not empty), then the count moves over.
    this.link(r);
    h.taken -= n;
    return r;
  }

  /** Its request's granted reservations, in grant order. */
  private heldOf(reqId: number): MutableReservation[] {
    const out: MutableReservation[] = [];
    for (let r = this.table.get(reqId)?.first ?? null; r !== null; r = r.next) out.push(r);
    return out;
  }

  /** The page-table entry of a request, made (counted empty) when it has none. */
  private entryOf(reqId: number): Held {
    let h = this.lastHeld;
    if (h === null || h.reqId !== reqId || !h.inTable) {
      h = this.table.get(reqId) ?? null;
      if (h === null) {
        this.table.set(reqId, (h = { buffer: this, reqId, first: null, last: null, taken: 0, inTable: true }));
        this.empties++;
      }
      this.lastHeld = h;
    }
    return h;
  }

  /** Appends a granted reservation to its request's list. */
  private link(r: MutableReservation): void {
    const h = this.entryOf(r.reqId);
    if (isEmpty(h)) this.empties--;
    r.heldIn = h;
    const last = h.last;
    if (last === null) h.first = r;
    else {
      last.next = r;
      r.prev = last;
    }
    h.last = r;
  }

  /** Takes a granted reservation off its request's list (an emptied entry stays until a sweep). */
  private unlink(r: MutableReservation): void {
    const h = r.heldIn!;
    r.heldIn = null;
    const { prev, next } = r;
    if (prev === null) h.first = next;
    else prev.next = next;
    if (next === null) h.last = prev;
    else next.prev = prev;
    r.prev = r.next = null;
    if (isEmpty(h)) this.emptied();
  }

  /** An entry became empty: counted, and the emptied ones swept out past a bound. */
  private emptied(): void {
    if (++this.empties >= SWEEP_EMPTIES && 2 * this.empties > this.table.size) this.sweep();
  }

  /** Drops every emptied entry from the table. */
  private sweep(): void {
    for (const [reqId, h] of this.table) {
      if (!isEmpty(h)) continue;
      h.inTable = false;
      this.table.delete(reqId);
    }
    this.empties = 0;
  }

  /** Frees every page of a request and drops its queued reservations; returns the pages freed. */
  release(reqId: number): number {
    this.claim?.materialize();
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.reservation.reqId === reqId) this.queue.splice(i, 1);
    const held = this.heldOf(reqId);
    for (const r of held) {
      r.heldIn = null;
      r.prev = r.next = null;
    }
    const h = this.table.get(reqId);
    // A claimant's takes without objects are gone by now (materialized above); counted all the same.
    let taken = 0;
    if (h !== undefined) {
      if (isEmpty(h)) this.empties--;
      taken = h.taken;
      // Out of the table, so that a later take (link) does not append to it.
      h.first = h.last = null;
      h.taken = 0;
      h.inTable = false;
      this.table.delete(reqId);
    }
    this.giveBack(held, this.sim.now);
    if (taken > 0) this.returnCount(taken, this.sim.now);
    this.drainQueue();
    return held.reduce((n, r) => n + r.pageCount, taken);
  }

  stats(): StagingBufferStats {
    this.claim?.materialize();
    this.integrate(this.sim.now);
    const elapsedS = this.sim.now - this.createdS;
    return {
      capacityBytes: this.capacityPages * this.pageBytes,
      usedBytes: this.usedBytes,
      peakUsedBytes: this.peakPages * this.pageBytes,
      meanUsedBytes: elapsedS > 0 ? (this.pageSecondsIntegral / elapsedS) * this.pageBytes : this.usedBytes,
      grants: this.grants,
      waits: this.waits,
      backPressureWaitS: this.waitS,
      maxWaitS: this.maxWaitS,
      maxQueueLength: this.maxQueue,
    };
  }

  private fits(p: Pending): boolean {
    return this.pagesFor(p.reservation.bytes) <= this.freeCount;
  }

  private grant(p: Pending): void {
    const r = p.reservation;
    this.take(r, this.sim.now);
    this.sim.schedule(0, () => p.onGranted(r), this.opts.eventPriority ?? 0);
  }

  private take(r: MutableReservation, nowS: number): void {
    this.integrate(nowS);
    const n = this.pagesFor(r.bytes);
    r.count = n;
    const free = this.freeRuns;
    if (this.trackPages) r.runs = [];
    for (let left = this.trackPages ? n : 0; left > 0; ) {
      const top = free.length - 2;
      const start = free[top]!;
      const len = free[top + 1]!;
      const k = Math.min(left, len);
      this.pushRun(r.runs, start, k);
      if (k === len) {
        // pop() rather than `length =`, which V8 runs as a slow runtime call.
        free.pop();
        free.pop();
      } else {
        free[top] = start + k;
        free[top + 1] = len - k;
      }
      left -= k;
    }
    r.grantedS = nowS;
    this.link(r);
    const waitedS = r.grantedS - r.requestedS;
    if (waitedS > 0) {
      this.waits++;
      this.waitS += waitedS;
      this.maxWaitS = Math.max(this.maxWaitS, waitedS);
    }
    this.countTaken(n, nowS);
  }

  /** Appends run [start, start + len) to `runs`, merged with the last run when it continues it. */
  private pushRun(runs: number[], start: number, len: number): void {
    const last = runs.length - 2;
    if (last >= 0 && runs[last]! + runs[last + 1]! === start) runs[last + 1]! += len;
    else runs.push(start, len);
  }

  /** Puts the pages of `held` (in grant order) back. */
  private giveBack(held: readonly MutableReservation[], nowS: number): void {
    if (this.trackPages) {
      this.returnRuns(held.length === 1 ? held[0]!.runs : held.flatMap((r) => r.runs), nowS);
      return;
    }
    let n = 0;
    for (const r of held) n += r.count;
    this.returnCount(n, nowS);
  }

  /** Puts `n` pages back (counts only). */
  private returnCount(n: number, nowS: number): void {
    // As returnRuns: nothing held, nothing changes (no occupancy sample).
    if (n === 0) return;
    this.integrate(nowS);
    this.freeCount += n;
    this.usedPages -= n;
    this.opts.onOccupancy?.(nowS, this.usedPages * this.pageBytes);
  }

  /** Puts pages back so that they are handed out again in the order given (`runs` in grant order). */
  private returnRuns(runs: readonly number[], nowS: number): void {
    if (runs.length === 0) return;
    this.integrate(nowS);
    const free = this.freeRuns;
    let n = 0;
    // Last run first, so the first run ends on top; a run that ends where the top starts joins it.
    for (let i = runs.length - 2; i >= 0; i -= 2) {
      const start = runs[i]!;
      const len = runs[i + 1]!;
      n += len;
      const top = free.length - 2;
      if (top >= 0 && start + len === free[top]!) {
        free[top] = start;
        free[top + 1]! += len;
      } else free.push(start, len);
    }
    this.freeCount += n;
    this.usedPages -= n;
    this.opts.onOccupancy?.(nowS, this.usedPages * this.pageBytes);
  }

  private drainQueue(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0]!)) this.grant(this.queue.shift()!);
  }

  private integrate(now: number): void {
    this.pageSecondsIntegral += this.usedPages * (now - this.lastChangeS);
    this.lastChangeS = now;
  }
}
