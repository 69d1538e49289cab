/**
 * Reference versions of the prefix cache and the KV tiers written the plain way (a `Map` in
 * insertion order per recency list, touch = delete + set), as they were before lru.ts: the
 * differential tests drive these and the fast ones with the same random operations and compare
 * every answer. Test-only.
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

export class MapTierStore {
  readonly cpu = new Map<number, true>();
  readonly disk = new Map<number, true>();
  blocksIn = 0;
  evictions = 0;
  demotions = 0;
  promotions = 0;
  constructor(
    readonly cpuBlocks: number,
    readonly diskBlocks: number,
  ) {}
  tierOf(h: number): Tier | undefined {
    return this.cpu.has(h) ? 'cpu' : this.disk.has(h) ? 'disk' : undefined;
  }
  store(hashes: readonly number[]): { written: number[]; alreadyHeld: number[]; demoted: number[]; evicted: number[] } {
    const result = { written: [] as number[], alreadyHeld: [] as number[], demoted: [] as number[], evicted: [] as number[] };
    for (let i = hashes.length - 1; i >= 0; i--) {
      const h = hashes[i]!;
      if (touch(this.cpu, h)) {
        result.alreadyHeld.push(h);
        continue;
      }
      if (!this.disk.delete(h)) this.blocksIn++;
      this.insertCpu(h, result);
      result.written.push(h);
    }
    result.written.reverse();
    result.alreadyHeld.reverse();
    return result;
  }
  peek(hashes: readonly number[]): Tier[] {
    const tiers: Tier[] = [];
    for (const h of hashes) {
      const t = this.tierOf(h);
      if (t === undefined) break;
      tiers.push(t);
    }
    return tiers;
  }
  lookup(hashes: readonly number[]): Tier[] {
    const tiers = this.peek(hashes);
    for (let i = tiers.length - 1; i >= 0; i--) touch(tiers[i] === 'cpu' ? this.cpu : this.disk, hashes[i]!);
    return tiers;
  }
  promote(hashes: readonly number[]): { promoted: number[]; demoted: number[]; evicted: number[] } {
    const result = { promoted: [] as number[], demoted: [] as number[], evicted: [] as number[] };
    for (let i = hashes.length - 1; i >= 0; i--) {
      const h = hashes[i]!;
      if (touch(this.cpu, h)) continue;
      if (this.disk.delete(h)) {
        this.insertCpu(h, result);
        result.promoted.push(h);
        this.promotions++;
      }
    }
    result.promoted.reverse();
    return result;
  }
  private insertCpu(h: number, out: { demoted: number[]; evicted: number[] }): void {
    if (this.cpu.size >= this.cpuBlocks) {
      const victim = popOldest(this.cpu);
      if (this.diskBlocks > 0) {
        if (this.disk.size >= this.diskBlocks) {
          out.evicted.push(popOldest(this.disk));
          this.evictions++;
        }
        this.disk.set(victim, true);
        out.demoted.push(victim);
        this.demotions++;
      } else {
        out.evicted.push(victim);
        this.evictions++;
      }
    }
    this.cpu.set(h, true);
  }
}
