/**
 * Resolve step of the scenario pipeline (load -> validate -> resolve -> check -> build): what the
 * schema's defaults cannot express. A pool's `engine:` block overrides only the fields it names; the
 * rest come from the scenario's own `engine` (itself defaulted and merged with `vllmArgs`), not from
 * vLLM's defaults, which the validator would otherwise fill into the pool block.
 */
import type { Scenario } from './schema.js';

/** The keys each pool's raw `engine:` block names, read before validation fills defaults in. */
export function poolEngineKeys(raw: unknown): (string[] | undefined)[] {
  const pools = (raw as { deployment?: { pools?: unknown } } | null)?.deployment?.pools;
  if (!Array.isArray(pools)) return [];
  return pools.map((p) => {
    const e = (p as { engine?: unknown } | null)?.engine;
    return e !== null && typeof e === 'object' && !Array.isArray(e) ? Object.keys(e) : undefined;
  });
}

/**
 * Strips from every pool's `engine` the defaults the validator filled in, keeping the fields the
 * pool named; `poolEngine` (the builder) lays them over the scenario's engine.
 */
export function inheritPoolEngines(sc: Scenario, keys: readonly (string[] | undefined)[]): void {
  sc.deployment.pools.forEach((pool, i) => {
    const named = keys[i];
    if (pool.engine === undefined || named === undefined) return;
    const own = pool.engine as Record<string, unknown>;
    const merged: Record<string, unknown> = {};
    for (const k of named) merged[k] = own[k];
    pool.engine = merged as typeof pool.engine;
  });
}
