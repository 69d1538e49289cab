/**
 * Registry of decode batch variants, and their composition into the one `DecodeBatchPolicy` a
 * scheduler takes: a new variant is one file plus one line in `decodeVariants`. Order matters only
 * for the policy's name (`length-bins(512)+adaptive(40ms)+eos-same-iteration`; without an
 * arranging variant the name starts with `continuous`).
 */
import { adaptive } from './adaptive.js';
import { eosSameIteration } from './eos-same-iteration.js';
import { lengthBins } from './length-bins.js';
import type { DecodeBatchPolicy, DecodePolicyOptions, DecodeVariant } from './types.js';

export type { DecodeBatchPolicy, DecodePolicyOptions, DecodeVariant } from './types.js';
export { adaptiveTargetInfeasible } from './adaptive.js';

/** Each variant, from the options that turn it on (undefined: off). */
export const decodeVariants: Record<string, (o: DecodePolicyOptions) => DecodeVariant | undefined> = {
  'length-bins': (o) => (o.lengthBinTokens !== undefined ? lengthBins(o.lengthBinTokens) : undefined),
  adaptive: (o) => (o.adaptiveTpotMs !== undefined ? adaptive(o.adaptiveTpotMs) : undefined),
  'eos-same-iteration': (o) => (o.sameIterationEviction ? eosSameIteration() : undefined),
};

/** The policy of the variants `o` turns on, or undefined for plain continuous batching. */
export function makeDecodePolicy(o: DecodePolicyOptions): DecodeBatchPolicy | undefined {
  const on = Object.values(decodeVariants).map((make) => make(o)).filter((v): v is DecodeVariant => v !== undefined);
  if (on.length === 0) return undefined;
  const arrangers = on.filter((v) => v.arrange !== undefined);
  const cappers = on.filter((v) => v.seqCap !== undefined);
  const names = on.map((v) => v.name);
  return {
    name: (arrangers.length > 0 ? names : ['continuous', ...names]).join('+'),
    sameIterationEviction: on.some((v) => v.sameIterationEviction === true),
    capsBatch: cappers.length > 0,
    steadyIterations(running) {
      let k = Infinity;
      for (const v of arrangers) k = Math.min(k, v.steadyIterations?.(running) ?? 1);
      return k;
    },
    arrange(running) {
      for (const v of arrangers) v.arrange!(running);
    },
    // Several caps: the tightest holds (each variant keeps >= runningCount, so the minimum does too).
    seqCap(candidates, perf, maxNumSeqs, runningCount = 0) {
      let cap = maxNumSeqs;
      for (const v of cappers) cap = Math.min(cap, v.seqCap!(candidates, perf, maxNumSeqs, runningCount));
      return cap;
    },
  };
}
