/**
 * Reference versions of the prefix cache and the KV tiers written the plain way, one block at a
 * time (a `Map` in insertion order per recency list, touch = delete + set): the differential tests
 * drive these and the run-based stores (block-manager.ts, tier-store.ts) with the same random
 * operations and compare every answer. Test-only.
 */
type Tier = 'cpu' | 'disk';

function touch(m: Map<number, true>, k: number): boolean {
  if (!m.delete(k)) return false;
  m.set(k, true);
  return true;
}

function popOldest(m: Map<number, true>): number {
  const k = m.keys().next().value as number;
  m.delete(k);
  return k;
}

export class MapBlockManager {
  free: number;
  readonly evictable = new Map<number, true>();
  readonly referenced = new Map<number, number>();
  anonymousInUse = 0;
  evictions = 0;
  constructor(readonly totalBlocks: number) {
    this.free = totalBlocks;
  }
  get usedBlocks(): number {
    return this.anonymousInUse + this.referenced.size;
  }
  allocate(n: number): boolean {
    if (n <= 0) return true;
    if (n > this.free + this.evictable.size) return false;
    const fromFree = Math.min(n, this.free);
    this.free -= fromFree;
    for (let rest = n - fromFree; rest > 0; rest--) {
      popOldest(this.evictable);
      this.evictions++;
    }
    this.anonymousInUse += n;
    return true;
  }
  release(n: number): void {
    this.anonymousInUse -= n;
    this.free += n;
  }
  matchPrefix(keys: readonly number[]): number {
    let n = 0;
    while (n < keys.length && (this.referenced.has(keys[n]!) || this.evictable.has(keys[n]!))) n++;
    return n;
  }
  acquire(keys: readonly number[]): void {
    for (const k of keys) {
      const r = this.referenced.get(k);
      if (r !== undefined) this.referenced.set(k, r + 1);
      else if (this.evictable.delete(k)) this.referenced.set(k, 1);
      else throw new Error(`acquire of uncached block ${k}`);
    }
  }
  commit(keys: readonly number[]): void {
    for (const k of keys) {
      this.anonymousInUse--;
      const r = this.referenced.get(k);
      if (r !== undefined) {
        this.referenced.set(k, r + 1);
        this.free++;
      } else {
        if (this.evictable.delete(k)) this.free++;
        this.referenced.set(k, 1);
      }
    }
  }
  releaseHashed(keys: readonly number[]): void {
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      const r = this.referenced.get(k)!;
      if (r > 1) this.referenced.set(k, r - 1);
      else {
        this.referenced.delete(k);
        this.evictable.set(k, true);
      }
    }
  }
}

/**
 * The KV tiers (tier-store.ts) one block at a time, with TierStore's range API: `offload`,
 * `readyHits`, `load`, `land`. A flow's holds are its keys, counted per key in `held` (so a hold
 * follows a block dropped and stored again meanwhile); a held block is no hit.
 */
export class MapTierStore {
  readonly cpu = new Map<number, true>();
  readonly disk = new Map<number, true>();
  /** Flows moving each key's bytes (keys with none are absent). */
  private readonly held = new Map<number, number>();
  heldInFlight = 0;
  private readonly c = { blocksIn: 0, evictions: 0, demotions: 0, promotions: 0, storeCalls: 0, lookups: 0, cpuHitBlocks: 0, diskHitBlocks: 0 };
  private gpuToCpuBlocks = 0;
  constructor(
    readonly cpuBlocks: number,
    readonly diskBlocks: number,
    readonly blockBytes: number,
  ) {}

  /** Stores keys[from, to) tail first (a block only on disk is rewritten); holds the written and the demoted keys, one flow each. */
  offload(keys: readonly number[], from: number, to: number): { written: number[]; demoted: number[] } {
    this.c.storeCalls++;
    const written: number[] = [];
    const demoted: number[] = [];
    for (let i = to - 1; i >= from; i--) {
      const h = keys[i]!;
      if (touch(this.cpu, h)) continue;
      if (!this.disk.delete(h)) this.c.blocksIn++;
      this.insertCpu(h, demoted);
      written.push(h);
      this.gpuToCpuBlocks++;
    }
    return { written: this.hold(written), demoted: this.hold(demoted) };
  }

  /** Leading keys of keys[from, to) on a tier and held by no flow. */
  readyHits(keys: readonly number[], from: number, to: number): number {
    let i = from;
    while (i < to && i < keys.length && (this.cpu.has(keys[i]!) || this.disk.has(keys[i]!)) && !this.held.has(keys[i]!)) i++;
    return i - from;
  }

  /** Refreshes keys[from, to) tail first on their tiers, then reads the disk ones back into CPU tail first; holds the demoted and the read keys. */
  load(keys: readonly number[], from: number, to: number): { cpu: number; disk: number; demoted: number[]; read: number[] } {
    this.c.lookups++;
    const onDisk: number[] = [];
    for (let i = to - 1; i >= from; i--) {
      const h = keys[i]!;
      if (touch(this.cpu, h)) continue;
      if (!touch(this.disk, h)) throw new Error(`load of block ${h}, which no tier holds`);
      onDisk.push(h);
    }
    const disk = onDisk.length;
    this.c.cpuHitBlocks += to - from - disk;
    this.c.diskHitBlocks += disk;
    const demoted: number[] = [];
    for (const h of onDisk) {
      this.disk.delete(h);
      this.insertCpu(h, demoted);
      this.c.promotions++;
    }
    return { cpu: to - from - disk, disk, demoted: this.hold(demoted), read: this.hold(onDisk) };
  }

  /** The flow holding `keys` landed. */
  land(keys: readonly number[]): void {
    for (const h of keys) {
      const n = this.held.get(h);
      if (n === undefined) throw new Error(`release of block ${h}, which no flow holds`);
      if (n === 1) this.held.delete(h);
      else this.held.set(h, n - 1);
    }
    this.heldInFlight -= keys.length;
  }

  holdCount(h: number): number {
    return this.held.get(h) ?? 0;
  }

  listKeys(tier: Tier): number[] {
    return [...(tier === 'cpu' ? this.cpu : this.disk).keys()];
  }

  stats(): Record<string, number> {
    const b = this.blockBytes;
    const c = this.c;
    return { ...c, cpuHeld: this.cpu.size, diskHeld: this.disk.size, bytesGpuToCpu: this.gpuToCpuBlocks * b, bytesCpuToDisk: c.demotions * b, bytesDiskToCpu: c.promotions * b };
  }

  checkInvariants(): void {
    const { cpu, disk } = this;
    if (this.c.blocksIn !== cpu.size + disk.size + this.c.evictions || cpu.size > this.cpuBlocks || disk.size > this.diskBlocks) throw new Error('MapTierStore: blocks not conserved');
    for (const h of cpu.keys()) if (disk.has(h)) throw new Error(`MapTierStore: block ${h} on both tiers`);
    let holds = 0;
    for (const n of this.held.values()) holds += n;
    if (holds !== this.heldInFlight) throw new Error('MapTierStore: holds do not add up');
  }

  private hold(keys: number[]): number[] {
    for (const h of keys) this.held.set(h, (this.held.get(h) ?? 0) + 1);
    this.heldInFlight += keys.length;
    return keys;
  }

  /** Puts h last in CPU, first moving the CPU LRU block to disk (dropping disk's LRU when full) or dropping it without a disk tier. */
  private insertCpu(h: number, demoted: number[]): void {
    if (this.cpu.size >= this.cpuBlocks) {
      const victim = popOldest(this.cpu);
      if (this.diskBlocks > 0) {
        if (this.disk.size >= this.diskBlocks) {
          popOldest(this.disk);
          this.c.evictions++;
        }
        this.disk.set(victim, true);
        demoted.push(victim);
        this.c.demotions++;
      } else this.c.evictions++;
    }
    this.cpu.set(h, true);
  }
}
