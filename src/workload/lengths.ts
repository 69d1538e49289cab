/**
 * Token-length distributions for synthetic workloads. Each sampler draws from its own random
 * stream and returns an integer >= 1, clamped to [min, max] when given.
 */
import type { RandomStream } from '../kernel/random.js';
import { UserError } from '../errors.js';
import type { LengthDistSpec } from './spec.js';
import { workloadMessages } from '../messages/workload.js';

export type LengthSampler = () => number;

function clampInt(x: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(x)));
}

/**
 * @param values for `empirical`: the lengths loaded from the file (the loader reads it; this module does no I/O).
 */
export function makeLengthSampler(spec: LengthDistSpec, rng: RandomStream, where: string, file: string, values?: readonly number[]): LengthSampler {
  const min = spec.min ?? 1;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  const need = (field: keyof LengthDistSpec): number => {
    const v = spec[field];
    if (typeof v !== 'number') throw new UserError(workloadMessages.distNeedsField(spec.dist, field), file, `${where}/${field}`);
    return v;
  };
  if (min > max) throw new UserError(workloadMessages.minLargerThanMax(min, max), file, `${where}/min`);
  switch (spec.dist) {
    case 'fixed': {
      const v = need('value');
      return () => v;
    }
    case 'uniform': {
      const lo = need('min');
      const hi = need('max');
      return () => rng.intBetween(lo, hi);
    }
    case 'normal': {
      const mean = need('mean');
      const std = need('std');
      return () => clampInt(mean + std * rng.normal(), min, max);
    }
    case 'lognormal': {
      const mu = Math.log(need('median'));
      const sigma = need('sigma');
      return () => clampInt(Math.exp(mu + sigma * rng.normal()), min, max);
    }
    case 'random': {
      // vllm bench serve's RandomDataset: uniform integers in [floor(v(1-r)), ceil(v(1+r))], at least 1.
      const v = need('value');
      const r = spec.rangeRatio ?? 0;
      const lo = Math.max(1, Math.floor(v * (1 - r)));
      const hi = Math.ceil(v * (1 + r));
      return () => rng.intBetween(lo, hi);
    }
    case 'empirical': {
      if (!values || values.length === 0) throw new UserError(workloadMessages.emptyEmpirical(), file, `${where}/path`);
      return () => clampInt(values[Math.floor(rng.next() * values.length)]!, min, max);
    }
  }
}
