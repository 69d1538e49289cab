/**
 * KV tiers below the GPU: a CPU DRAM tier and an optional disk tier, each holding whole KV blocks
 * keyed by prefix block hash, each LRU. When the CPU tier is full its least recently used block is
 * demoted to disk (or evicted when there is no disk tier, or disk is full too, from disk's LRU end).
 *
 * Bookkeeping only: the engine moves the bytes on the flow network (GPU<->CPU over the GPU's PCIe
 * channels, CPU<->disk over the disk channels) using what each call returns.
 *
 * Within one call, blocks are touched tail first, so the head of a prefix ends up most recently used:
 * eviction takes tails before heads, as vLLM's free-block queue does.
 *
 * Blocks are kept as runs (tier6 round, docs/speed.md), as the GPU prefix cache's are
 * (block-manager.ts): a run is blocks lo..hi-1 of one request's key array, adjacent on one tier's
 * list, oldest = highest index (the order a tail-first call appends them in). Only a run's first
 * key is in the hash index, so the index holds a few thousand runs instead of 10^5 blocks (it
 * stays in cache) and a stored prompt is one insert, not one per block. The per-block LRU
 * semantics are exact (tier-store.test.ts drives this and the per-block MapTierStore
 * (map-reference-testing.ts) with the same random operations and compares both lists after every one): a call applies its blocks in
 * stretches that touch no block another step of the same stretch touches (`insertStretch`), and
 * one block at a time where they might.
 *
 * Runs a call made at a tail grow when the next blocks continue their chain (`appendNew`,
 * `moveToTail`): without that, each step's run would be cut to the smaller of two head runs and
 * runs would shrink call after call (measured: 14.5k runs of ~11 blocks for 164k blocks, 4.7k with).
 *
 * Keys are chain hashes (src/serving/block-keys.ts): a key fixes its position and every key before
 * it. So a walk from index 0 finds every held block of a key array with one probe per run start or
 * missing block (`walk`), also when a lookup starts mid-run at the GPU hit; and two arrays that
 * agree at index j agree below it (`matchEnd` bisects). A counting filter over the runs' first
 * keys (key-filter.ts) answers most missing blocks (a prompt's new ones) without a probe.
 *
 * A block whose bytes are moving is held: each flow's `Holds` are stretches of key arrays (a
 * written prompt is one, not one count per block), in a list of holds in flight that `readyHits`
 * scans (a few at a time); a hold covers its blocks whether or not they are still on a tier (it
 * follows a block dropped and stored again meanwhile); a held block is no hit (vLLM's non-ready
 * blocks).
 */
import { HashBlockKeys } from './hash-block-keys.js';
import { KeyFilter } from './key-filter.js';
import { chainMatchEnd } from './runs.js';
import { NumMap } from './num-map.js';

const EMPTY_KEYS = HashBlockKeys.EMPTY;
const CPU = 0;
const DISK = 1;
const NO_LIST = -1;

export type BlockHash = number;
export type Tier = 'cpu' | 'disk';

export interface TierStoreOptions {
  cpuBlocks: number;
  /** 0 or absent: no disk tier. */
  diskBlocks?: number;
  blockBytes: number;
}

export interface TierStoreStats {
  blocksIn: number;
  evictions: number;
  demotions: number;
  promotions: number;
  storeCalls: number;
  lookups: number;
  cpuHitBlocks: number;
  diskHitBlocks: number;
  cpuHeld: number;
  diskHeld: number;
  bytesGpuToCpu: number;
  bytesCpuToDisk: number;
  bytesDiskToCpu: number;
}

/**
 * The blocks one flow moves: stretches keys[lo, hi) of key arrays (a stored prompt's written blocks
 * are one or two, not one entry per block); `land` releases them. The first stretch is kept in
 * fields and any others in arrays made when needed: most holds have one stretch, and three arrays
 * per hold were ~0.5 KB of allocation each (a stored prompt makes two holds, a disk hit two more).
 */
export class Holds {
  blocks = 0;
  /** Place in the store's list of holds in flight; -1 before and after. */
  slot = -1;
  /** Stretches held. */
  stretches = 0;
  private keys0: HashBlockKeys = EMPTY_KEYS;
  private lo0 = 0;
  private hi0 = 0;
  /** Stretches 1.. (null while there is at most one). */
  private moreKeys: HashBlockKeys[] | null = null;
  private moreLo: number[] | null = null;
  private moreHi: number[] | null = null;

  keysAt(k: number): HashBlockKeys {
    return k === 0 ? this.keys0 : this.moreKeys![k - 1]!;
  }
  loAt(k: number): number {
    return k === 0 ? this.lo0 : this.moreLo![k - 1]!;
  }
  hiAt(k: number): number {
    return k === 0 ? this.hi0 : this.moreHi![k - 1]!;
  }

  /** Adds keys[lo, hi), joined to the last stretch when it continues it downward (a call's steps run high to low). */
  add(keys: HashBlockKeys, lo: number, hi: number): void {
    this.blocks += hi - lo;
    const n = this.stretches;
    if (n === 0) {
      this.keys0 = keys;
      this.lo0 = lo;
      this.hi0 = hi;
    } else if (n === 1 && this.keys0 === keys && this.lo0 === hi) {
      this.lo0 = lo;
      return;
    } else if (n > 1 && this.moreKeys![n - 2] === keys && this.moreLo![n - 2] === hi) {
      this.moreLo![n - 2] = lo;
      return;
    } else if (this.moreKeys === null) {
      this.moreKeys = [keys];
      this.moreLo = [lo];
      this.moreHi = [hi];
    } else {
      this.moreKeys.push(keys);
      this.moreLo!.push(lo);
      this.moreHi!.push(hi);
    }
    this.stretches = n + 1;
  }
}
const NO_HOLDS = new Holds();

/** Blocks lo..hi-1 of `keys`, adjacent on `list` (oldest = hi-1). */
class Run {
  prev: Run | null = null;
  next: Run | null = null;
  list = NO_LIST;
  /** The call that last put it at a list's tail (`TierStore.epoch`). */
  stamp = 0;
  /** The call whose `appendNew` made it (only such a run grows: see appendNew). */
  born = 0;
  alive = true;
  /** keys[ixLo] is the key the index maps to this run (-1: none); ixLo !== lo while its re-index is deferred (TierStore.stale). */
  ixLo = -1;
  /** On TierStore's list of runs whose index entry is deferred. */
  stale = false;
  constructor(
    readonly id: number,
    public keys: HashBlockKeys,
    public lo: number,
    public hi: number,
  ) {}
}

export class TierStore {
  /** First key of each run -> run id. */
  private readonly index = new NumMap();
  /** The index's keys, asked first: a walk's probes mostly miss (a prompt's new blocks). */
  private readonly starts = new KeyFilter();
  private readonly runs: (Run | null)[] = [];
  private readonly freeIds: number[] = [];
  private readonly heads: (Run | null)[] = [null, null];
  private readonly tails: (Run | null)[] = [null, null];
  private readonly sizes = [0, 0];
  /** Holds of flows in flight (a block is held once per stretch of them holding it). */
  private readonly active: Holds[] = [];
  private holds = 0;
  /**
   * Runs whose index entry is deferred (ixLo !== lo): a tail run that grows step after step of
   * one call is re-keyed once, before the next walk or at the call's end, not once per step.
   */
  private readonly stale: Run[] = [];
  private staleCount = 0;
  /** Bumped per call: runs a call put at a tail carry it, so the call's head steps never take them in bulk. */
  private epoch = 0;
  /** A walk's stretches of a key array: [lo, hi) and the run holding it, or null when not held. */
  private readonly segLo: number[] = [];
  private readonly segHi: number[] = [];
  private readonly segRun: (Run | null)[] = [];
  /** What the current call's stretches hold for its flows (`written` null: not an offload, a read-back). */
  private written: Holds | null = null;
  private demoted: Holds | null = null;
  private readonly cpuBlocks: number;
  private readonly diskBlocks: number;
  private readonly blockBytes: number;
  private readonly counters = { blocksIn: 0, evictions: 0, demotions: 0, promotions: 0, storeCalls: 0, lookups: 0, cpuHitBlocks: 0, diskHitBlocks: 0 };
  private gpuToCpuBlocks = 0;
  /** Filter checks, hash-index operations (probes past the filter, inserts, deletes), hold stretches scanned and run relinks so far (counted per request in docs/speed.md). */
  readonly ops = { filtered: 0, probes: 0, inserts: 0, deletes: 0, holdOps: 0, relinks: 0 };

  constructor(opts: TierStoreOptions) {
    if (!Number.isInteger(opts.cpuBlocks) || opts.cpuBlocks < 1) {
      throw new RangeError(`CPU KV tier needs at least 1 block, got ${opts.cpuBlocks}`);
    }
    const disk = opts.diskBlocks ?? 0;
    if (!Number.isInteger(disk) || disk < 0) throw new RangeError(`Disk KV tier size must be a whole number of blocks >= 0, got ${disk}`);
    if (!(opts.blockBytes > 0)) throw new RangeError(`KV block size must be > 0 bytes, got ${opts.blockBytes}`);
    this.cpuBlocks = opts.cpuBlocks;
    this.diskBlocks = disk;
    this.blockBytes = opts.blockBytes;
  }

  /** Blocks held in the CPU tier (as stats().cpuHeld, without building the stats object). */
  get cpuHeld(): number {
    return this.sizes[CPU]!;
  }
  get diskHeld(): number {
    return this.sizes[DISK]!;
  }

  /** Block-flows held and not landed yet. */
  get heldInFlight(): number {
    return this.holds;
  }

  /** Flows still moving block `hash` (tests: a scan of every hold). */
  holdCount(hash: BlockHash): number {
    let n = 0;
    for (const h of this.active) for (let k = 0; k < h.stretches; k++) for (let i = h.loAt(k); i < h.hiAt(k); i++) if (h.keysAt(k).at(i) === hash) n++;
    return n;
  }

  /**
   * Offloads keys[from, to) from the GPU into the CPU tier (tail first): blocks already in the CPU
   * tier are refreshed, the others written (a block only on disk is rewritten from the GPU's copy),
   * pushing the CPU tier's LRU blocks to disk. The written and the demoted blocks are held, one
   * flow each; `land` each answer when its flow lands.
   */
  offload(keys: HashBlockKeys, from: number, to: number): { written: Holds; demoted: Holds } {
    this.counters.storeCalls++;
    this.epoch++;
    const written = new Holds();
    const demoted = new Holds();
    this.written = written;
    this.demoted = demoted;
    const n = this.walk(keys, from, to, false);
    // Stretches highest first; each is checked again before use, since a step's demotions and
    // evictions may have taken blocks of a lower stretch of the same key array.
    const { stLo, stHi, stRun } = this;
    let top = 0;
    for (let k = 0; k < n; k++, top++) {
      stLo[top] = this.segLo[k]!;
      stHi[top] = this.segHi[k]!;
      stRun[top] = this.segRun[k]!;
    }
    while (top > 0) {
      top--;
      const lo = stLo[top]!;
      const hi = stHi[top]!;
      const r = stRun[top]!;
      stRun[top] = null;
      // Still held there when r lives and covers the stretch: a run only loses blocks at its top
      // (head steps, splits) and grows downward (merges); its key array never changes.
      if (r !== null && !(r.alive && r.lo <= lo && r.hi >= hi)) {
        const m = this.walk(keys, lo, hi, false);
        for (let k = 0; k < m; k++, top++) {
          stLo[top] = this.segLo[k]!;
          stHi[top] = this.segHi[k]!;
          stRun[top] = this.segRun[k]!;
        }
        continue;
      }
      if (r === null) {
        this.counters.blocksIn += hi - lo;
        this.insertStretch(keys, lo, hi, null);
      } else if (r.list === CPU) {
        this.moveToTail(this.isolate(r, lo, hi), CPU, true);
      } else this.insertStretch(keys, lo, hi, this.isolate(r, lo, hi));
    }
    this.written = null;
    this.demoted = null;
    this.flushIndex();
    return { written: this.start(written), demoted: this.start(demoted) };
  }
  /** load's disk stretches, highest first (entries past the call's count are null). */
  private readonly diskRuns: (Run | null)[] = [];
  /** offload's stretches still to do, highest last. */
  private readonly stLo: number[] = [];
  private readonly stHi: number[] = [];
  private readonly stRun: (Run | null)[] = [];

  /** Leading blocks of keys[from, to) the tiers hold and that are not moving (no side effect). */
  readyHits(keys: HashBlockKeys, from: number, to: number): number {
    if (to > keys.length) to = keys.length;
    if (from >= to) return 0;
    const n = this.walk(keys, from, to, true);
    const end = n === 0 ? from : this.segRun[n - 1] === null ? this.segLo[n - 1]! : this.segHi[n - 1]!;
    // A hold's stretch of array A covers keys[m..] from m = max(its lo, from) when A agrees with
    // keys at m (chain keys agree on a prefix): the first such m ends the ready blocks.
    let stop = end;
    const active = this.active;
    for (let j = 0; j < active.length; j++) {
      const h = active[j]!;
      for (let k = 0; k < h.stretches; k++) {
        this.ops.holdOps++;
        const m = Math.max(h.loAt(k), from);
        if (m < stop && m < h.hiAt(k) && h.keysAt(k).at(m) === keys.at(m)) stop = m;
      }
    }
    return stop - from;
  }

  /**
   * Looks up keys[from, to) (the caller checked they are held, `readyHits`): refreshes them tail
   * first on their own tiers and counts the hits; then reads the disk ones back into the CPU tier,
   * tail first, pushing CPU LRU blocks to disk. Holds the demoted blocks (their CPU -> disk flow)
   * and the read ones (their disk -> CPU flow).
   */
  load(keys: HashBlockKeys, from: number, to: number): { cpu: number; disk: number; demoted: Holds; read: Holds } {
    this.counters.lookups++;
    this.epoch++;
    let n = this.walk(keys, from, to, true);
    if (n > 0 && this.segRun[n - 1] === null) n--;
    // Refresh: each stretch moved to its tier's tail, highest first; the disk ones remembered.
    // A scratch list (no array per load), emptied below so it keeps no run alive.
    const diskRuns = this.diskRuns;
    let nDisk = 0;
    let cpu = 0;
    let disk = 0;
    for (let k = n - 1; k >= 0; k--) {
      const lo = this.segLo[k]!;
      const hi = this.segHi[k]!;
      const p = this.isolate(this.segRun[k]!, lo, hi);
      if (p.list === CPU) cpu += hi - lo;
      else {
        disk += hi - lo;
        diskRuns[nDisk++] = p;
      }
      // A disk piece is read back below, so it keeps its identity (no merge).
      this.moveToTail(p, p.list, p.list === CPU);
    }
    this.counters.cpuHitBlocks += cpu;
    this.counters.diskHitBlocks += disk;
    if (disk === 0) {
      this.flushIndex();
      return { cpu, disk, demoted: NO_HOLDS, read: NO_HOLDS };
    }
    // Read-back of the disk stretches, highest first (a promotion detaches one disk block and
    // demotes at most one CPU block: disk never overflows, nothing is evicted, so the disk
    // stretches stay as the refresh left them).
    this.epoch++;
    const demoted = new Holds();
    const read = new Holds();
    this.demoted = demoted;
    for (let k = 0; k < nDisk; k++) {
      const p = diskRuns[k]!;
      diskRuns[k] = null;
      read.add(p.keys, p.lo, p.hi);
      this.insertStretch(p.keys, p.lo, p.hi, p);
    }
    this.demoted = null;
    this.flushIndex();
    // A block promoted then demoted again is held by both.
    return { cpu, disk, demoted: this.start(demoted), read: this.start(read) };
  }

  /** The flow holding these blocks landed. */
  land(h: Holds): void {
    if (h.blocks === 0) return;
    const at = h.slot;
    if (at < 0) throw new Error(`TierStore: release of ${h.blocks} blocks no flow holds (landed twice?)`);
    const active = this.active;
    const last = active.pop()!;
    if (last !== h) {
      active[at] = last;
      last.slot = at;
    }
    h.slot = -1;
    this.holds -= h.blocks;
  }

  /** Counts a call's holds in flight (an empty one is the shared NO_HOLDS). */
  private start(h: Holds): Holds {
    if (h.blocks === 0) return NO_HOLDS;
    h.slot = this.active.length;
    this.active.push(h);
    this.holds += h.blocks;
    return h;
  }

  /** Keys on a tier's list, least recently used first (tests). */
  listKeys(tier: Tier): number[] {
    const out: number[] = [];
    for (let r: Run | null = this.heads[tier === 'cpu' ? CPU : DISK]!; r !== null; r = r.next) for (let i = r.hi - 1; i >= r.lo; i--) out.push(r.keys.at(i));
    return out;
  }

  /** Runs on both lists (tests, the bench's counts). */
  get runCount(): number {
    return this.index.size;
  }

  stats(): TierStoreStats {
    const c = this.counters;
    const b = this.blockBytes;
    return { ...c, cpuHeld: this.sizes[CPU]!, diskHeld: this.sizes[DISK]!, bytesGpuToCpu: this.gpuToCpuBlocks * b, bytesCpuToDisk: c.demotions * b, bytesDiskToCpu: c.promotions * b };
  }

  /** Throws when bookkeeping is broken: blocks in = held + evicted, tiers within size, runs agree with the index and the lists, holds add up. */
  checkInvariants(): void {
    const { blocksIn, evictions } = this.counters;
    const cpu = this.sizes[CPU]!;
    const disk = this.sizes[DISK]!;
    if (blocksIn !== cpu + disk + evictions) {
      throw new Error(`TierStore: ${blocksIn} blocks in != ${cpu} CPU + ${disk} disk + ${evictions} evicted`);
    }
    if (cpu > this.cpuBlocks || disk > this.diskBlocks) throw new Error('TierStore: a tier is over capacity');
    let runs = 0;
    for (const list of [CPU, DISK]) {
      let blocks = 0;
      let prev: Run | null = null;
      for (let r: Run | null = this.heads[list]!; r !== null; r = r.next) {
        if (r.prev !== prev || r.list !== list || !r.alive || r.hi <= r.lo) throw new Error(`TierStore: run ${r.keys.at(r.lo)} is broken on list ${list}`);
        if (this.index.get(r.keys.at(r.lo)) !== r.id || this.runs[r.id] !== r) throw new Error(`TierStore: run ${r.keys.at(r.lo)} is not indexed by its first key`);
        blocks += r.hi - r.lo;
        runs++;
        prev = r;
      }
      if (prev !== this.tails[list] || blocks !== this.sizes[list]) throw new Error(`TierStore: list ${list} holds ${blocks} blocks, counted ${this.sizes[list]}`);
    }
    if (runs !== this.index.size) throw new Error(`TierStore: ${runs} runs on the lists, ${this.index.size} indexed`);
    let holds = 0;
    for (const [j, h] of this.active.entries()) {
      if (h.slot !== j || !(h.blocks > 0)) throw new Error(`TierStore: hold ${j} of ${h.blocks} blocks is misplaced`);
      holds += h.blocks;
    }
    if (holds !== this.holds) throw new Error(`TierStore: ${this.holds} block-flows held, ${holds} counted on blocks`);
  }

  // --- walking a key array --------------------------------------------------------------------

  /**
   * Stretches of keys[from, to) (segLo/segHi/segRun; returns how many), each held by one run or not
   * held. Walks from index 0 (a run holding keys[i] starts at i or holds keys[i - 1] too), one probe
   * per run start or missing block.
   * `stopAtMiss`: stop at the first block not held (that stretch is the last one, with run null).
   */
  private walk(keys: HashBlockKeys, from: number, to: number, stopAtMiss: boolean): number {
    if (this.staleCount > 0) this.flushIndex();
    let n = 0;
    let i = 0;
    while (i < to) {
      let r = this.runStartingAt(keys, i);
      if (r === null) {
        if (stopAtMiss && i >= from) return this.seg(n, i, i + 1, null);
        // A stretch of missing blocks (a prompt's new ones): the filter answers most in a tight loop.
        const start = i;
        const starts = this.starts;
        for (i++; i < to; i++) {
          this.ops.filtered++;
          if (starts.mayHave(keys.at(i)) && (r = this.probe(keys, i)) !== null) break;
          if (stopAtMiss && i >= from) return this.seg(n, i, i + 1, null);
        }
        if (i > from) n = this.seg(n, Math.max(start, from), i, null);
        if (r === null) break;
      }
      const j = this.matchEnd(r, keys, i, to);
      if (j > from) n = this.seg(n, Math.max(i, from), j, r);
      i = j;
    }
    return n;
  }

  private seg(n: number, lo: number, hi: number, r: Run | null): number {
    this.segLo[n] = lo;
    this.segHi[n] = hi;
    this.segRun[n] = r;
    return n + 1;
  }

  /** The run whose first block is keys[i], or null (a filter check, and a probe past it). */
  private runStartingAt(keys: HashBlockKeys, i: number): Run | null {
    this.ops.filtered++;
    return this.starts.mayHave(keys.at(i)) ? this.probe(keys, i) : null;
  }

  /** The run whose first block is keys[i], or null (one probe of the index). */
  private probe(keys: HashBlockKeys, i: number): Run | null {
    this.ops.probes++;
    const id = this.index.get(keys.at(i));
    if (id < 0) return null;
    const r = this.runs[id]!;
    if (r.lo !== i) throw new Error(`block key ${keys.at(i)} at index ${i} is held at index ${r.lo}: keys are not chain hashes`);
    return r;
  }

  /** End (exclusive, at most `to`) of the stretch from i where run r holds keys[i..]. */
  private matchEnd(r: Run, keys: HashBlockKeys, i: number, to: number): number {
    return chainMatchEnd(r.keys, keys, i, Math.min(r.hi, to));
  }

  // --- applying a stretch ---------------------------------------------------------------------

  /**
   * Puts keys[lo, hi) (not in the CPU tier: new when `src` is null, else the disk run holding
   * exactly them) last in the CPU tier, highest first, making room as each block would: the CPU
   * LRU block goes to disk (whose LRU block is dropped first when disk is full), or is dropped
   * without a disk tier. Done in steps of s blocks that need the same room-making and take from
   * one head run each that this call did not put at a tail (so no step meets another's blocks); one
   * block at a time where that does not hold.
   */
  private insertStretch(keys: HashBlockKeys, lo: number, hi: number, src: Run | null): void {
    let x = hi; // blocks lo..x-1 are left
    while (x > lo) {
      let s = x - lo;
      const cpuFree = this.cpuBlocks - this.sizes[CPU]!;
      let evict = false;
      if (cpuFree > 0) s = Math.min(s, cpuFree);
      else {
        const h = this.heads[CPU]!;
        s = h.stamp === this.epoch ? 1 : Math.min(s, h.hi - h.lo);
        if (this.diskBlocks > 0 && src === null) {
          const diskFree = this.diskBlocks - this.sizes[DISK]!;
          if (diskFree > 0) s = Math.min(s, diskFree);
          else {
            const e = this.heads[DISK]!;
            s = e.stamp === this.epoch ? 1 : Math.min(s, e.hi - e.lo);
            evict = true;
          }
        }
      }
      const a = x - s;
      // 1. Off disk (a disk block is detached before room is made for it; a whole run moves in step 3,
      // which orders the lists as detaching it first would: the other steps touch other runs).
      let whole: Run | null = null;
      if (src !== null) {
        if (src.lo === a) whole = src;
        else {
          src.hi = a;
          this.sizes[DISK]! -= s;
        }
      }
      // 2. Room.
      if (cpuFree <= 0) {
        if (this.diskBlocks > 0) {
          if (evict) this.dropOldest(DISK, s);
          this.demoteOldest(s, src);
        } else this.dropOldest(CPU, s);
      }
      // 3. Last in the CPU tier.
      if (whole !== null) this.moveToTail(whole, CPU, true);
      else this.appendNew(keys, a, x, CPU);
      // Only offload writes from the GPU (it sets `written`); load's read-back promotes.
      const written = this.written;
      if (written === null) this.counters.promotions += s;
      else {
        this.gpuToCpuBlocks += s;
        written.add(keys, a, x);
      }
      x = a;
    }
  }

  /** Demotes the s oldest CPU blocks (all of the head run's top) to the disk tier's tail (`src`: the run being read back, which must not grow). */
  private demoteOldest(s: number, src: Run | null): void {
    const h = this.heads[CPU]!;
    this.counters.demotions += s;
    this.demoted?.add(h.keys, h.hi - s, h.hi);
    if (s === h.hi - h.lo) this.moveToTail(h, DISK, true, src);
    else {
      h.hi -= s;
      this.sizes[CPU]! -= s;
      this.appendNew(h.keys, h.hi, h.hi + s, DISK, src);
    }
  }

  /** Drops the s oldest blocks of `list` (all of its head run's top). */
  private dropOldest(list: number, s: number): void {
    const e = this.heads[list]!;
    this.counters.evictions += s;
    this.sizes[list]! -= s;
    e.hi -= s;
    if (e.hi === e.lo) {
      this.unlink(e);
      this.dropRun(e);
    }
  }

  // --- runs -----------------------------------------------------------------------------------

  /**
   * The run holding exactly blocks lo..hi-1 of r (r.lo <= lo < hi <= r.hi), split off r as needed:
   * pieces keep their places on the list (higher indices older).
   */
  private isolate(r: Run, lo: number, hi: number): Run {
    if (hi < r.hi) this.splitAt(r, hi);
    return lo > r.lo ? this.splitAt(r, lo) : r;
  }

  /** Splits r before index `at`: r keeps [lo, at), a new run takes [at, hi), just before r on its list. */
  private splitAt(r: Run, at: number): Run {
    if (r.stale) this.flushIndex();
    const s = this.newRun(r.keys, at, r.hi);
    r.hi = at;
    s.list = r.list;
    s.stamp = r.stamp;
    s.prev = r.prev;
    s.next = r;
    if (r.prev === null) this.heads[r.list] = s;
    else r.prev.next = s;
    r.prev = s;
    return s;
  }

  /**
   * Blocks keys[lo, hi) last on `list`: added to the tail run when this call made it and it holds
   * keys[hi] as its newest block (without that, each step's run would be cut to the smaller of two
   * head runs and runs would shrink call after call), else a new run. A run that grows changes
   * its first key, so a stretch of `offload` still to do may find its run changed: it is walked
   * again from index 0 then. `src` (the disk run being read back) never grows.
   */
  private appendNew(keys: HashBlockKeys, lo: number, hi: number, list: number, src: Run | null = null): void {
    const t = this.tails[list]!;
    if (t !== null && t.born === this.epoch && t !== src && t.lo === hi && t.keys.at(hi - 1) === keys.at(hi - 1)) {
      t.lo = lo;
      this.markStale(t);
      this.sizes[list]! += hi - lo;
      return;
    }
    // Indexed when the call's steps are done (flushIndex): a tail run made here mostly grows again.
    const r = this.newRun(keys, lo, hi, false);
    this.markStale(r);
    r.born = this.epoch;
    this.linkLast(r, list);
    this.sizes[list]! += hi - lo;
  }

  /**
   * Puts run r (on a list or not) last on `list`, its blocks counted there. `merge`: when the tail
   * run was made by this call (as appendNew's rule) and r's blocks precede its newest in the chain,
   * it takes r's blocks and r is gone (a stored prompt's moved prefix and its new suffix make one
   * run); never into `keep` (a disk run being read back).
   */
  private moveToTail(r: Run, list: number, merge = false, keep: Run | null = null): void {
    if (r.list !== NO_LIST) {
      this.sizes[r.list]! -= r.hi - r.lo;
      this.unlink(r);
    }
    const t = this.tails[list]!;
    if (merge && t !== null && t.born === this.epoch && t !== keep && t.lo === r.hi && t.keys.at(r.hi - 1) === r.keys.at(r.hi - 1)) {
      this.sizes[list]! += r.hi - r.lo;
      if (!t.stale && r.ixLo === r.lo) {
        // r's first key (also t's now: chain keys) points at t; t's old first key goes.
        this.unindex(t.keys.at(t.lo));
        t.lo = r.lo;
        this.ops.inserts++;
        this.index.set(r.keys.at(r.lo), t.id);
        t.ixLo = t.lo;
      } else {
        // Either entry deferred: r's goes, t is re-keyed with the call's other deferred runs.
        this.unindexRun(r);
        t.lo = r.lo;
        this.markStale(t);
      }
      t.stamp = this.epoch;
      r.ixLo = -1;
      this.runs[r.id] = null;
      this.freeIds.push(r.id);
      r.alive = false;
      r.keys = EMPTY_KEYS;
      return;
    }
    this.linkLast(r, list);
    this.sizes[list]! += r.hi - r.lo;
  }

  private newRun(keys: HashBlockKeys, lo: number, hi: number, index = true): Run {
    const id = this.freeIds.length > 0 ? this.freeIds.pop()! : this.runs.length;
    const r = new Run(id, keys, lo, hi);
    this.runs[id] = r;
    if (index) {
      this.indexAs(keys.at(lo), id);
      r.ixLo = lo;
    }
    return r;
  }

  private markStale(r: Run): void {
    if (r.stale) return;
    r.stale = true;
    this.stale[this.staleCount++] = r;
  }

  /**
   * Re-keys the deferred runs (each under its first key now). Entries are removed by run, not by
   * key: a deferred run's old key may since start another run (a block cut off its top and stored
   * again), whose entry overwrote it; the filter counts every add, so it loses one count either way.
   */
  private flushIndex(): void {
    const stale = this.stale;
    for (let k = 0; k < this.staleCount; k++) {
      const r = stale[k]!;
      stale[k] = null!;
      r.stale = false;
      if (!r.alive || r.ixLo === r.lo) continue;
      this.unindexRun(r);
      this.indexAs(r.keys.at(r.lo), r.id);
      r.ixLo = r.lo;
    }
    this.staleCount = 0;
  }

  /** Removes run r's index entry (if it has one and no other run's set has replaced it). */
  private unindexRun(r: Run): void {
    if (r.ixLo < 0) return;
    const key = r.keys.at(r.ixLo);
    this.ops.deletes++;
    this.index.deleteIf(key, r.id);
    this.starts.remove(key);
    r.ixLo = -1;
  }

  private dropRun(r: Run): void {
    this.unindexRun(r);
    this.runs[r.id] = null;
    this.freeIds.push(r.id);
    r.alive = false;
    r.keys = EMPTY_KEYS; // the request's key array is not kept alive by a dead run
  }

  private indexAs(key: number, id: number): void {
    this.ops.inserts++;
    this.index.set(key, id);
    this.starts.add(key);
  }

  private unindex(key: number): void {
    this.ops.deletes++;
    this.index.delete(key);
    this.starts.remove(key);
  }

  private linkLast(r: Run, list: number): void {
    this.ops.relinks++;
    const t = this.tails[list]!;
    r.prev = t;
    r.next = null;
    if (t === null) this.heads[list] = r;
    else t.next = r;
    this.tails[list] = r;
    r.list = list;
    r.stamp = this.epoch;
  }

  /** Takes r off its list (its blocks still counted there: the caller adjusts sizes). */
  private unlink(r: Run): void {
    const list = r.list;
    if (r.prev === null) this.heads[list] = r.next;
    else r.prev.next = r.next;
    if (r.next === null) this.tails[list] = r.prev;
    else r.next.prev = r.prev;
    r.prev = null;
    r.next = null;
    r.list = NO_LIST;
  }
}

