/**
 * The latency figures' names in summary.json (`{mean,median,std,p90,p99}_{ttft,tpot,itl,e2el}_ms`,
 * vLLM's order), apart from the TypeBox schema (summary-schema.ts) so that a run, which needs the
 * names but not the schema, does not load TypeBox.
 */
export const LATENCY_METRICS = ['ttft', 'tpot', 'itl', 'e2el'] as const;
export type LatencyMetric = (typeof LATENCY_METRICS)[number];
export const LATENCY_STATS = ['mean', 'median', 'std', 'p90', 'p99'] as const;
export type LatencyStat = (typeof LATENCY_STATS)[number];
export type LatencyKey = `${LatencyStat}_${LatencyMetric}_ms`;
