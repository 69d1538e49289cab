/**
 * The workerData key that tells the bundle's entry, started as a sweep/plan pool thread
 * (src/plan/pool.ts), to become the pool's worker rather than the CLI (src/cli/main.ts).
 * A module of its own: pool.ts must not import main.ts, whose top level runs the CLI.
 */
export const PLAN_THREAD_FLAG = 'pdsimPlanThread';
