/**
 * The planner's search space: every deployment of at most `maxGpus` GPUs of the given types —
 * colocated replicas x TP, and xPyD (prefill and decode pools, each with its own GPU type, count and
 * TP) — crossed with the engine and transfer knobs. Candidates come grouped by hardware (the same
 * GPUs, hence the same cost): groups are the unit of parallel work and of sharding, and pruning
 * compares candidates within a group only, so a group's results do not depend on any other group.
 */

export interface PoolShape {
  gpu: string;
  instances: number;
  tp: number;
}

export type Hardware = { kind: 'colocated'; pool: PoolShape } | { kind: 'disagg'; prefill: PoolShape; decode: PoolShape };

export interface Knobs {
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  /** Disaggregated only. */
  transferPolicy?: 'whole' | 'layerwise';
  transferPath?: 'direct' | 'staging' | 'network' | 'disk';
}

export interface Candidate {
  /** Global index in enumeration order (plan.jsonl's `point`). */
  index: number;
  group: number;
  hardware: Hardware;
  knobs: Knobs;
  gpus: number;
  /** Sum of the GPUs' prices, $/h; null when a GPU has no price. */
  costPerHour: number | null;
  label: string;
}

export interface SpaceOptions {
  gpus: string[];
  maxGpus: number;
  tps: number[];
  /** Include colocated and/or disaggregated deployments. */
  modes: ('colocated' | 'disagg')[];
  maxNumSeqs: number[];
  maxNumBatchedTokens: number[];
  transferPolicies: NonNullable<Knobs['transferPolicy']>[];
  transferPaths: NonNullable<Knobs['transferPath']>[];
  prices: Record<string, number | undefined>;
}

const poolGpus = (p: PoolShape) => p.instances * p.tp;
const poolLabel = (p: PoolShape) => `${p.instances}x${p.gpu}${p.tp > 1 ? ` tp${p.tp}` : ''}`;

export function hardwareLabel(h: Hardware): string {
  return h.kind === 'colocated' ? `colocated ${poolLabel(h.pool)}` : `P ${poolLabel(h.prefill)} + D ${poolLabel(h.decode)}`;
}

function knobsLabel(k: Knobs): string {
  return [k.transferPolicy !== undefined ? `${k.transferPolicy}/${k.transferPath}` : '', `seqs ${k.maxNumSeqs}`, `batch ${k.maxNumBatchedTokens}`].filter((s) => s !== '').join(', ');
}

/** Pool shapes of one GPU type using at most `budget` GPUs. */
function shapes(gpu: string, tps: readonly number[], budget: number): PoolShape[] {
  const out: PoolShape[] = [];
  for (const tp of tps) for (let n = 1; n * tp <= budget; n++) out.push({ gpu, instances: n, tp });
  return out;
}

export function hardwareSpace(o: SpaceOptions): Hardware[] {
  const hw: Hardware[] = [];
  if (o.modes.includes('colocated')) for (const g of o.gpus) for (const s of shapes(g, o.tps, o.maxGpus)) hw.push({ kind: 'colocated', pool: s });
  if (o.modes.includes('disagg')) {
    for (const gp of o.gpus) for (const p of shapes(gp, o.tps, o.maxGpus - 1)) {
      for (const gd of o.gpus) for (const d of shapes(gd, o.tps, o.maxGpus - poolGpus(p))) hw.push({ kind: 'disagg', prefill: p, decode: d });
    }
  }
  return hw;
}

export function costPerHour(h: Hardware, prices: Record<string, number | undefined>): number | null {
  const pools = h.kind === 'colocated' ? [h.pool] : [h.prefill, h.decode];
  let sum = 0;
  for (const p of pools) {
    const price = prices[p.gpu];
    if (price === undefined) return null;
    sum += price * poolGpus(p);
  }
  return sum;
}

export function enumerate(o: SpaceOptions): Candidate[] {
  const out: Candidate[] = [];
  hardwareSpace(o).forEach((h, group) => {
    const gpus = h.kind === 'colocated' ? poolGpus(h.pool) : poolGpus(h.prefill) + poolGpus(h.decode);
    const transfers = h.kind === 'disagg' ? o.transferPolicies.flatMap((policy) => o.transferPaths.map((p) => ({ transferPolicy: policy, transferPath: p }))) : [{}];
    for (const t of transfers) for (const s of o.maxNumSeqs) for (const b of o.maxNumBatchedTokens) {
      const knobs: Knobs = { maxNumSeqs: s, maxNumBatchedTokens: b, ...t };
      out.push({ index: out.length, group, hardware: h, knobs, gpus, costPerHour: costPerHour(h, o.prices), label: `${hardwareLabel(h)} (${knobsLabel(knobs)})` });
    }
  });
  return out;
}

/** The candidate's deployment and knobs written into a (resolved) base scenario; the base is not modified. */
export function applyCandidate(base: Record<string, unknown>, c: Candidate, rate: number, requests: number): Record<string, unknown> {
  // `any`: a resolved scenario edited by path; the engine adapter validates the result against the schema again.
  const sc = structuredClone(base) as Record<string, any>;
  const h = c.hardware;
  const pool = (role: string, p: PoolShape) => ({ name: role, role, gpu: p.gpu, instances: p.instances, tp: p.tp });
  sc.deployment.pools = h.kind === 'colocated' ? [pool('colocated', h.pool)] : [pool('prefill', h.prefill), pool('decode', h.decode)];
  // One node holds the whole deployment (the planner does not place instances across nodes).
  sc.deployment.topology = { ...(sc.deployment.topology ?? {}), gpusPerNode: Math.max(c.gpus, sc.deployment.topology?.gpusPerNode ?? 1) };
  if (h.kind === 'colocated' && sc.deployment.policies) {
    // Decode-pool batch policies of a P/D base scenario have no colocated meaning (the scenario check refuses them).
    const { decodeBatching: _b, adaptiveBatchTpotMs: _a, evictAtEos: _e, lengthBinTokens: _l, ...rest } = sc.deployment.policies;
    sc.deployment.policies = rest;
  }
  if (h.kind === 'disagg') sc.deployment.transfer = { ...(sc.deployment.transfer ?? {}), policy: c.knobs.transferPolicy, path: c.knobs.transferPath };
  sc.engine = { ...(sc.engine ?? {}), maxNumSeqs: c.knobs.maxNumSeqs, maxNumBatchedTokens: c.knobs.maxNumBatchedTokens };
  delete sc.vllmArgs;
  sc.workload = { ...sc.workload, requests, arrival: { ...(sc.workload.arrival ?? {}), rate } };
  return sc;
}
