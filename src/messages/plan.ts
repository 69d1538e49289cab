/**
 * User-facing error messages of src/plan, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
import { ioMessages } from './io.js';

export const planMessages = {
  // src/plan/grid.ts
  varyNotPathValues: (flag: string): string => `--vary expects path=v1,v2,..., got "${flag}"`,
  varyNeedsAValue: (field: string): string => `--vary ${field}: needs at least one value`,
  varyGivenTwice: (field: string): string => `--vary ${field} is given twice; give each field once with all its values`,
  shardNotIOverN: (spec: string): string => `--shard expects i/N (e.g. 0/4), got "${spec}"`,
  shardOutOfRange: (spec: string): string => `--shard ${spec}: need 0 <= i < N and N >= 1`,
  replicatesOutOfRange: (value: string): string => `--replicates expects an integer in [1, 1000], got "${value}"`,
  // src/plan/pool.ts
  jobsOutOfRange: (value: string): string => `--jobs expects an integer in [1, 256], got "${value}"`,
  // src/plan/shard-files.ts
  notASweepDirectory: (SHARD_JSON: string): string => `no ${SHARD_JSON}: not the output directory of a pdsim sweep or plan`,
  invalidJson: ioMessages.invalidJson, // one text for every JSON file pdsim reads
  // src/plan/prices.ts
  invalidPrice: (part: string): string => `--price expects gpu=dollarsPerHour[,...] with a number >= 0, got "${part}"`,
  priceForUnusedGpu: (id: string, gpus: string): string => `--price ${id}: this GPU is not in --gpus (${gpus}); a price is only meaningful for a GPU the plan uses`,
  // src/plan/options.ts
  needsAValue: (flag: string): string => `${flag} needs at least one value`,
  integersBelowMin: (flag: string, min: number, s: string): string => `${flag} expects integers >= ${min}, got "${s}"`,
  numberOutOfRange: (flag: string, value: string, lo: number, hi: number, value2: string, value3: string): string => `${flag} expects a number in ${value}${lo}, ${hi}${value2}, got "${value3}"`,
  unknownValue: (flag: string, s: string, allowed: string): string => `${flag}: unknown value "${s}"; expected one of: ${allowed}`,
  unknownGpuId: (g: string, value: string, known: string): string => `--gpus: unknown GPU id "${g}"${value}; known: ${known}`,
  planNeedsSlo: (): string => `pdsim plan needs an SLO to plan against: give slo.ttftMs, slo.tpotMs and/or slo.e2elMs (or --set slo.ttftMs=...)`,
  planNeedsArrivalRate: (): string => `pdsim plan varies the arrival rate: the workload needs workload.arrival with a poisson, gamma or constant process (not a trace or all-at-once)`,
  noTpFitsMaxGpus: (maxGpus: number): string => `--tp: no tensor-parallel degree fits in --max-gpus ${maxGpus}`,
  disaggNeedsTwoGpus: (): string => `--modes disagg needs --max-gpus >= 2 (one prefill and one decode GPU)`,
};
