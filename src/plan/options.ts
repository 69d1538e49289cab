/**
 * `pdsim plan` flags -> validated settings: GPU ids against the catalog (did-you-mean), prices,
 * the SLO and workload the search needs, and the knob lists (defaults: the scenario's own value,
 * so the default space stays small; flags widen it).
 */
import { didYouMean, UserError } from '../errors.js';
import { listIds } from '../model/catalog.js';
import type { Scenario } from '../scenario/schema.js';
import { resolvePrices } from './prices.js';
import type { SpaceOptions } from './space.js';
import { planMessages } from '../messages/plan.js';

export interface PlanFlags {
  gpus: string;
  price?: string;
  maxGpus?: string;
  attainment?: string;
  tp?: string;
  modes?: string;
  maxNumSeqs?: string;
  maxNumBatchedTokens?: string;
  transferPolicies?: string;
  transferPaths?: string;
  requests?: string;
  relTol?: string;
  modelsDir?: string;
}

function list(flag: string, value: string): string[] {
  const xs = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (xs.length === 0) throw new UserError(planMessages.needsAValue(flag));
  return xs;
}

function ints(flag: string, value: string, min = 1): number[] {
  return list(flag, value).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) throw new UserError(planMessages.integersBelowMin(flag, min, s));
    return n;
  });
}

function num(flag: string, value: string, lo: number, hi: number, open = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < lo || n > hi || (open && (n === lo || n === hi))) throw new UserError(planMessages.numberOutOfRange(flag, open ? '(' : '[', lo, hi, open ? ')' : ']', value));
  return n;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  return list(flag, value).map((s) => {
    if (!(allowed as readonly string[]).includes(s)) throw new UserError(planMessages.unknownValue(flag, s, allowed.join(', ')));
    return s as T;
  });
}

export interface PlanSettings {
  space: SpaceOptions;
  attainment: number;
  requests: number;
  relTol: number;
}

export function planSettings(f: PlanFlags, sc: Scenario, file: string): PlanSettings {
  const known = listIds('gpu', f.modelsDir);
  const gpus = list('--gpus', f.gpus);
  for (const g of gpus) {
    if (!known.includes(g)) {
      const hint = didYouMean(g, known);
      throw new UserError(planMessages.unknownGpuId(g, hint ? ` (did you mean "${hint}"?)` : '', known.join(', ')));
    }
  }
  const slo = sc.slo ?? {};
  if (slo.ttftMs === undefined && slo.tpotMs === undefined && slo.e2elMs === undefined) throw new UserError(planMessages.planNeedsSlo(), file, '/slo');
  if (sc.workload.trace !== undefined || sc.workload.arrival === undefined || sc.workload.arrival.process === 'all-at-once') throw new UserError(planMessages.planNeedsArrivalRate(), file, '/workload/arrival');
  const maxGpus = f.maxGpus !== undefined ? ints('--max-gpus', f.maxGpus)[0]! : 4;
  const engine = sc.engine!;
  const transfer = sc.deployment.transfer;
  const space: SpaceOptions = {
    gpus,
    maxGpus,
    tps: (f.tp !== undefined ? ints('--tp', f.tp) : [1, 2, 4, 8]).filter((t) => t <= maxGpus),
    modes: oneOf('--modes', f.modes ?? 'colocated,disagg', ['colocated', 'disagg'] as const),
    maxNumSeqs: f.maxNumSeqs !== undefined ? ints('--max-num-seqs', f.maxNumSeqs) : [engine.maxNumSeqs!],
    maxNumBatchedTokens: f.maxNumBatchedTokens !== undefined ? ints('--max-num-batched-tokens', f.maxNumBatchedTokens) : [engine.maxNumBatchedTokens!],
    transferPolicies: oneOf('--transfer-policies', f.transferPolicies ?? transfer?.policy ?? 'layerwise', ['whole', 'layerwise'] as const),
    transferPaths: oneOf('--transfer-paths', f.transferPaths ?? transfer?.path ?? 'direct', ['direct', 'staging', 'network', 'disk'] as const),
    prices: resolvePrices(f.price, gpus),
  };
  if (space.tps.length === 0) throw new UserError(planMessages.noTpFitsMaxGpus(maxGpus));
  if (space.modes.includes('disagg') && maxGpus < 2 && space.modes.length === 1) throw new UserError(planMessages.disaggNeedsTwoGpus());
  return {
    space,
    attainment: f.attainment !== undefined ? num('--attainment', f.attainment, 0, 1, true) : 0.95,
    requests: f.requests !== undefined ? ints('--requests', f.requests, 10)[0]! : Math.min(sc.workload.requests, 300),
    relTol: f.relTol !== undefined ? num('--rel-tol', f.relTol, 0.001, 1) : 0.05,
  };
}
