/**
 * The CPU pinned staging buffer between a prefill GPU and a decode GPU (DESIGN.md setup B: KV goes
 * D2H into pinned host memory, then the decode GPU pulls it H2D). Bounded, paged, with a page table
 * per request; when it is full, reservations wait in strict FIFO order (back-pressure on the prefill
 * side) until pages are released. Moving the bytes is the caller's job, on the flow network.
 *
 * Strict FIFO, head-of-line blocking included: a large reservation at the head is never overtaken
 * by smaller ones, so it cannot starve.
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
}

export interface Reservation {
  readonly reqId: number;
  readonly bytes: number;
  /** Page indices held, once granted. */
  readonly pages: readonly number[];
  readonly requestedS: number;
  /** NaN until granted. */
  readonly grantedS: number;
}

interface Pending {
  reservation: MutableReservation;
  onGranted: (r: Reservation) => void;
}

interface MutableReservation {
  reqId: number;
  bytes: number;
  pages: number[];
  requestedS: number;
  grantedS: number;
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

export class StagingBuffer {
  readonly pageBytes: number;
  readonly capacityPages: number;
  private readonly freePages: number[];
  /** Page table: request id -> its granted reservations. */
  private readonly table = new Map<number, MutableReservation[]>();
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
    // Popped from the end, so page 0 is handed out first: deterministic page numbers.
    this.freePages = Array.from({ length: this.capacityPages }, (_, i) => this.capacityPages - 1 - i);
    this.lastChangeS = sim.now;
    this.createdS = sim.now;
  }

  get usedBytes(): number {
    return this.usedPages * this.pageBytes;
  }

  get freeBytes(): number {
    return this.freePages.length * this.pageBytes;
  }

  get queueLength(): number {
    return this.queue.length;
  }

  /** Pages held by a request (all its granted reservations), in grant order. */
  pagesOf(reqId: number): number[] {
    return (this.table.get(reqId) ?? []).flatMap((r) => r.pages);
  }

  /**
   * Asks for `bytes` (rounded up to whole pages) for `reqId`. Pages are taken now when nobody is
   * queued and they fit, otherwise the call queues. Either way `onGranted` runs through the event
   * queue, never inside this call. A request may hold several reservations (one per layer).
   */
  reserve(reqId: number, bytes: number, onGranted: (r: Reservation) => void): 'granted' | 'queued' {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`Staging reservation must be >= 0 bytes, got ${bytes}`);
    if (this.pagesFor(bytes) > this.capacityPages) {
      throw new RangeError(
        `Staging reservation of ${bytes} bytes for request ${reqId} exceeds the whole buffer (${this.capacityPages * this.pageBytes} bytes)`,
      );
    }
    const pending: Pending = { reservation: { reqId, bytes, pages: [], requestedS: this.sim.now, grantedS: NaN }, onGranted };
    if (this.queue.length === 0 && this.fits(pending)) {
      this.grant(pending);
      return 'granted';
    }
    this.queue.push(pending);
    this.maxQueue = Math.max(this.maxQueue, this.queue.length);
    return 'queued';
  }

  /** Frees one granted reservation's pages (the decode GPU pulled that layer). */
  free(reservation: Reservation): void {
    const list = this.table.get(reservation.reqId);
    const i = list?.indexOf(reservation as MutableReservation) ?? -1;
    if (list === undefined || i < 0) throw new Error(`Reservation of request ${reservation.reqId} is not held`);
    list.splice(i, 1);
    if (list.length === 0) this.table.delete(reservation.reqId);
    this.returnPages(reservation.pages);
    this.drainQueue();
  }

  /** Frees every page of a request and drops its queued reservations; returns the pages freed. */
  release(reqId: number): number {
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.reservation.reqId === reqId) this.queue.splice(i, 1);
    const pages = this.pagesOf(reqId);
    this.table.delete(reqId);
    this.returnPages(pages);
    this.drainQueue();
    return pages.length;
  }

  stats(): StagingBufferStats {
    this.integrate();
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

  private pagesFor(bytes: number): number {
    return Math.ceil(bytes / this.pageBytes);
  }

  private fits(p: Pending): boolean {
    return this.pagesFor(p.reservation.bytes) <= this.freePages.length;
  }

  private grant(p: Pending): void {
    const r = p.reservation;
    this.integrate();
    const n = this.pagesFor(r.bytes);
    for (let i = 0; i < n; i++) r.pages.push(this.freePages.pop()!);
    r.grantedS = this.sim.now;
    const list = this.table.get(r.reqId);
    if (list) list.push(r);
    else this.table.set(r.reqId, [r]);
    this.usedPages += n;
    this.peakPages = Math.max(this.peakPages, this.usedPages);
    this.grants++;
    const waitedS = r.grantedS - r.requestedS;
    if (waitedS > 0) {
      this.waits++;
      this.waitS += waitedS;
      this.maxWaitS = Math.max(this.maxWaitS, waitedS);
    }
    this.opts.onOccupancy?.(this.sim.now, this.usedBytes);
    this.sim.schedule(0, () => p.onGranted(r), this.opts.eventPriority ?? 0);
  }

  private returnPages(pages: readonly number[]): void {
    if (pages.length === 0) return;
    this.integrate();
    for (let i = pages.length - 1; i >= 0; i--) this.freePages.push(pages[i]!);
    this.usedPages -= pages.length;
    this.opts.onOccupancy?.(this.sim.now, this.usedBytes);
  }

  private drainQueue(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0]!)) this.grant(this.queue.shift()!);
  }

  private integrate(): void {
    const now = this.sim.now;
    this.pageSecondsIntegral += this.usedPages * (now - this.lastChangeS);
    this.lastChangeS = now;
  }
}
