/**
 * Picks the engine instance for a request under a router policy. Load figures are those that stay
 * constant between iteration boundaries (outstanding requests), so fast-forwarding stays exact;
 * least-outstanding-tokens reads tokens still to compute, which is exact only step by step.
 */
import type { RandomStream } from '../kernel/random.js';
import type { EngineInstance } from './instance.js';

export type RouterPolicy = 'round-robin' | 'least-loaded' | 'least-outstanding-tokens' | 'power-of-two' | 'prefix-aware';

export function pickInstance(policy: RouterPolicy, instances: readonly EngineInstance[], rr: { next: number }, rng: RandomStream, keys: readonly number[]): EngineInstance {
  const n = instances.length;
  if (n === 1) return instances[0]!;
  const load = (i: EngineInstance) => i.outstanding;
  switch (policy) {
    case 'round-robin':
      return instances[rr.next++ % n]!;
    case 'least-loaded':
    case 'least-outstanding-tokens': {
      let best = instances[0]!;
      for (const i of instances) if (load(i) < load(best)) best = i;
      return best;
    }
    case 'power-of-two': {
      const a = instances[Math.floor(rng.next() * n)]!;
      const b = instances[Math.floor(rng.next() * n)]!;
      return load(b) < load(a) ? b : a;
    }
    case 'prefix-aware': {
      // Most cached leading blocks wins; ties go to the least loaded.
      let best = instances[0]!;
      let bestHit = -1;
      for (const i of instances) {
        const hit = keys.length > 0 ? i.blocks.matchPrefix(keys) : 0;
        if (hit > bestHit || (hit === bestHit && load(i) < load(best))) {
          best = i;
          bestHit = hit;
        }
      }
      return best;
    }
  }
}
