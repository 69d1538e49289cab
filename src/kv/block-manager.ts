/**
 * Paged KV blocks of one engine instance, with optional prefix caching (vLLM's block-hash LRU).
 *
 * Blocks are counted, not stored one by one, unless they carry a prefix hash: a run without prefix
 * caching is a handful of integers. Invariant: free + evictable + inUse = total, always.
 * Cached blocks whose reference count drops to zero stay reusable (evictable, LRU) until an
 * allocation needs their space.
 *
 * Hashed blocks are kept as runs (kvrun round, docs/speed.md): a run is blocks lo..hi-1 of one
 * request's key array with one reference count and, when that count is 0, one stretch of the
 * evictable list (oldest = highest index, the order a reverse release appends them in). Only a
 * run's first key is in the hash index, so a 750-block Mooncake prompt is committed, released and
 * evicted as a few entries rather than 750 inserts, relinks and deletes. The per-block LRU
 * semantics stay exact (block-manager.test.ts drives this and a per-block Map model with the same
 * random requests): an operation on part of a run first splits it at the part's ends (`splitAt`),
 * eviction takes blocks from the oldest run's high end one by one.
 *
 * Why the index of first keys is enough: keys are chain hashes (src/serving/block-keys.ts), so a
 * key fixes its position and every key before it. A cached block keys[i] that is not its run's
 * first block has keys[i-1] just before it in the same run, so a prefix walk that found keys[i-1]
 * in run r finds keys[i] by comparing r's next key, and otherwise by probing the index. The
 * callers keep vLLM's contract: a request holds a prefix keys[0, n) of its own keys, commits
 * keys[n, m) next and releases what it holds; then the cached set is prefix-closed (a block is
 * evicted before the one before it, as vLLM frees in reverse), so a commit whose walk misses
 * keys[i] knows keys[i..] are all new.
 */
import { HashBlockKeys } from './hash-block-keys.js';
import { NumMap } from './num-map.js';
import { chainMatchEnd } from './runs.js';

/** Blocks lo..hi-1 of `keys`, with one reference count; on the evictable list when refs is 0. */
class Run {
  prev: Run | null = null;
  next: Run | null = null;
  constructor(
    readonly id: number,
    public keys: HashBlockKeys,
    public lo: number,
    public hi: number,
    public refs: number,
  ) {}
}

export class BlockManager {
  private free: number;
  private anonymousInUse = 0;
  /** Hashed blocks with reference count > 0 (all runs off the evictable list). */
  private referencedBlocks = 0;
  private evictable = 0;
  /** First key of each run -> run id (unboxed keys, see num-map.ts). */
  private readonly index = new NumMap();
  /** Runs by id; freed ids are reused. */
  private readonly runs: (Run | null)[] = [];
  private readonly freeIds: number[] = [];
  /** The evictable list, oldest run first. */
  private head: Run | null = null;
  private tail: Run | null = null;
  /** The runs one range operation covers, in key order (reused). */
  private readonly scratch: Run[] = [];
  /** Blocks taken from the evictable LRU to satisfy allocations (prefix-cache evictions). */
  evictions = 0;
  /** Hash-index operations (probes, inserts, deletes) so far: what the bench counts per request. */
  indexOps = 0;

  constructor(
    readonly totalBlocks: number,
    readonly blockSizeTokens: number,
  ) {
    if (!(totalBlocks >= 1) || !Number.isInteger(totalBlocks)) throw new RangeError(`Invalid block count ${totalBlocks}`);
    this.free = totalBlocks;
  }

  get freeBlocks(): number {
    return this.free;
  }
  get evictableBlocks(): number {
    return this.evictable;
  }
  get usedBlocks(): number {
    return this.anonymousInUse + this.referencedBlocks;
  }
  /** Blocks an allocation could get now (free plus evictable cached ones). */
  get availableBlocks(): number {
    return this.free + this.evictable;
  }

  blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.blockSizeTokens);
  }

  /** Takes `n` anonymous blocks; returns false (and takes nothing) if they are not available. */
  allocate(n: number): boolean {
    if (n <= 0) return true;
    if (n > this.free + this.evictable) return false;
    const fromFree = Math.min(n, this.free);
    this.free -= fromFree;
    let rest = n - fromFree;
    this.evictions += rest;
    this.evictable -= rest;
    // The oldest blocks: the oldest run's highest indices first (its first key, the indexed one, goes last).
    while (rest > 0) {
      const r = this.head!;
      const take = Math.min(rest, r.hi - r.lo);
      r.hi -= take;
      rest -= take;
      if (r.hi === r.lo) {
        this.unlinkRun(r);
        this.dropRun(r);
      }
    }
    this.anonymousInUse += n;
    return true;
  }

  /** Returns `n` anonymous blocks to the free pool. */
  release(n: number): void {
    if (n < 0 || n > this.anonymousInUse) throw new RangeError(`Release of ${n} blocks, only ${this.anonymousInUse} in use`);
    this.anonymousInUse -= n;
    this.free += n;
  }

  /** Number of leading keys that are cached (referenced or evictable). */
  matchPrefix(keys: HashBlockKeys): number {
    let i = 0;
    while (i < keys.length) {
      const r = this.runStartingAt(keys, i);
      if (r === null) break;
      i = this.matchEnd(r, keys, i, keys.length);
    }
    return i;
  }

  /**
   * Takes a reference on cached blocks keys[from, to) (a prefix hit); they must all be cached.
   * Ranges rather than slices: callers pass a request's own key array, no copy per call.
   */
  acquire(keys: HashBlockKeys, from = 0, to = keys.length): void {
    const n = this.cover(keys, from, to, 'acquire of uncached block');
    for (let k = 0; k < n; k++) this.reference(this.scratch[k]!);
  }

  /**
   * Turns `to - from` of the caller's anonymous blocks into hashed, referenced blocks keys[from, to) (their
   * content is now complete). A key already cached by someone else is shared and the caller's
   * duplicate block is freed, as vLLM does. The caller holds keys[0, from).
   */
  commit(keys: HashBlockKeys, from = 0, to = keys.length): void {
    if (to <= from) return;
    this.anonymousInUse -= to - from;
    // Walk keys[0, from) (held, so cached), then share what is cached of keys[from, to).
    let i = 0;
    let last: Run | null = null;
    while (i < to) {
      const r = this.runStartingAt(keys, i);
      if (r === null) {
        if (i < from) throw new Error(`commit after uncached block ${keys.at(i)}`);
        break;
      }
      const j = this.matchEnd(r, keys, i, to);
      if (j > from) {
        const piece = this.piece(r, i, j, from, to);
        this.reference(piece);
        this.free += piece.hi - piece.lo;
        last = piece;
      } else last = r;
      i = j;
    }
    if (i >= to) return;
    // keys[i, to) are new (the cached set is prefix-closed): one run, or the tail of the caller's own run.
    this.referencedBlocks += to - i;
    if (last !== null && last.keys === keys && last.hi === i && last.refs === 1) {
      last.hi = to;
      return;
    }
    this.newRun(keys, i, to, 1);
  }

  /** Drops references on hashed blocks keys[from, to); unreferenced ones become evictable (most recent last). */
  releaseHashed(keys: HashBlockKeys, from = 0, to = keys.length): void {
    const n = this.cover(keys, from, to, 'release of unreferenced block');
    // Reverse order: a request's tail blocks are evicted before its head (vLLM frees in reverse).
    for (let k = n - 1; k >= 0; k--) {
      const r = this.scratch[k]!;
      if (r.refs === 0) throw new Error(`release of unreferenced block ${r.keys.at(r.lo)}`);
      if (--r.refs === 0) {
        const size = r.hi - r.lo;
        this.referencedBlocks -= size;
        this.evictable += size;
        this.linkLast(r);
      }
    }
  }

  /** Checks free + evictable + inUse = total; throws if violated (used by tests and debug runs). */
  checkConservation(): void {
    const sum = this.free + this.evictable + this.usedBlocks;
    if (sum !== this.totalBlocks || this.free < 0 || this.anonymousInUse < 0) {
      throw new Error(`KV blocks not conserved: free ${this.free} + evictable ${this.evictable} + used ${this.usedBlocks} != ${this.totalBlocks}`);
    }
    // The runs agree with the counters and the index (tests).
    let onList = 0;
    let listed = 0;
    for (let r = this.head; r !== null; r = r.next) {
      if (r.refs !== 0 || r.hi <= r.lo) throw new Error(`evictable run ${r.keys.at(r.lo)} has ${r.refs} references, ${r.hi - r.lo} blocks`);
      onList += r.hi - r.lo;
      listed++;
    }
    let referenced = 0;
    let live = 0;
    let unreferenced = 0;
    for (const r of this.runs) {
      if (r === null) continue;
      live++;
      if (r.refs > 0) referenced += r.hi - r.lo;
      else unreferenced++;
      if (this.index.get(r.keys.at(r.lo)) !== r.id) throw new Error(`run ${r.keys.at(r.lo)} is not indexed by its first key`);
    }
    if (onList !== this.evictable || referenced !== this.referencedBlocks || live !== this.index.size || unreferenced !== listed) {
      throw new Error(`KV runs disagree with the counters: ${onList} evictable on the list (${this.evictable}), ${referenced} referenced (${this.referencedBlocks}), ${live} runs, ${this.index.size} indexed`);
    }
  }

  // --- runs ---------------------------------------------------------------------------------

  /** The run whose first block is keys[i], or null when keys[i] is not cached there (one probe). */
  private runStartingAt(keys: HashBlockKeys, i: number): Run | null {
    this.indexOps++;
    const id = this.index.get(keys.at(i));
    if (id < 0) return null;
    const r = this.runs[id]!;
    // A chain-hash key fixes its position: a key found at another index breaks the contract above.
    if (r.lo !== i) throw new Error(`block key ${keys.at(i)} at index ${i} is cached at index ${r.lo}: keys are not chain hashes`);
    return r;
  }

  /** End (exclusive, at most `to`) of the stretch from i where run r holds keys[i..]. */
  private matchEnd(r: Run, keys: HashBlockKeys, i: number, to: number): number {
    return chainMatchEnd(r.keys, keys, i, Math.min(r.hi, to));
  }

  /**
   * Runs holding exactly keys[from, to) (split at both ends where needed), in key order, into
   * `scratch`; returns how many. keys[0, to) must be cached, else throws `what` and the key.
   */
  private cover(keys: HashBlockKeys, from: number, to: number, what: string): number {
    let n = 0;
    let i = 0;
    while (i < to) {
      const r = this.runStartingAt(keys, i);
      if (r === null) throw new Error(`${what} ${keys.at(i)}`);
      const j = this.matchEnd(r, keys, i, to);
      if (j > from) this.scratch[n++] = this.piece(r, i, j, from, to);
      i = j;
    }
    return n;
  }

  /** Of run r (starting at i, holding keys[i, j)), the run holding exactly keys[max(i, from), min(j, to)), split off as needed. */
  private piece(r: Run, i: number, j: number, from: number, to: number): Run {
    const end = Math.min(j, to);
    if (end < r.hi) this.splitAt(r, end);
    return from > i ? this.splitAt(r, from) : r;
  }

  /**
   * Splits run r before index `at` (r.lo < at < r.hi): r keeps [lo, at), a new run takes [at, hi)
   * with the same count and, on the evictable list, the place just before r (higher indices are older).
   */
  private splitAt(r: Run, at: number): Run {
    const s = this.newRun(r.keys, at, r.hi, r.refs);
    r.hi = at;
    if (r.refs === 0) {
      s.prev = r.prev;
      s.next = r;
      if (r.prev === null) this.head = s;
      else r.prev.next = s;
      r.prev = s;
    }
    return s;
  }

  /** A reference on every block of run r (off the evictable list when it was unreferenced). */
  private reference(r: Run): void {
    if (r.refs++ === 0) {
      const size = r.hi - r.lo;
      this.evictable -= size;
      this.referencedBlocks += size;
      this.unlinkRun(r);
    }
  }

  private newRun(keys: HashBlockKeys, lo: number, hi: number, refs: number): Run {
    const id = this.freeIds.length > 0 ? this.freeIds.pop()! : this.runs.length;
    const r = new Run(id, keys, lo, hi, refs);
    this.runs[id] = r;
    this.indexOps++;
    this.index.set(keys.at(lo), id);
    return r;
  }

  private dropRun(r: Run): void {
    this.indexOps++;
    this.index.delete(r.keys.at(r.lo));
    this.runs[r.id] = null;
    this.freeIds.push(r.id);
    r.keys = EMPTY_KEYS; // the request's key array is not kept alive by a dead run
  }

  private linkLast(r: Run): void {
    r.prev = this.tail;
    r.next = null;
    if (this.tail === null) this.head = r;
    else this.tail.next = r;
    this.tail = r;
  }

  private unlinkRun(r: Run): void {
    if (r.prev === null) this.head = r.next;
    else r.prev.next = r.next;
    if (r.next === null) this.tail = r.prev;
    else r.next.prev = r.prev;
    r.prev = null;
    r.next = null;
  }
}

const EMPTY_KEYS = HashBlockKeys.EMPTY;
