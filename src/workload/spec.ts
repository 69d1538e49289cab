/**
 * What the workload generator reads, declared here so that the workload layer does not import the
 * scenario layer above it. The scenario schema (src/scenario/schema.ts) is the source of truth for
 * users; src/scenario/workload-spec.test.ts keeps its types assignable to these.
 */
export interface LengthDistSpec {
  dist: 'fixed' | 'uniform' | 'normal' | 'lognormal' | 'empirical' | 'random';
  value?: number;
  /** random: `--random-range-ratio`. */
  rangeRatio?: number;
  min?: number;
  max?: number;
  mean?: number;
  std?: number;
  median?: number;
  sigma?: number;
  path?: string;
  column?: string;
}

export interface ArrivalSpec {
  process: 'poisson' | 'gamma' | 'constant' | 'all-at-once';
  /** Mean arrival rate, requests/s. */
  rate?: number;
  burstiness?: number;
  rescale?: boolean;
  /** `--ramp-up-strategy`, `--ramp-up-start-rps`, `--ramp-up-end-rps`. */
  rampUp?: { strategy: 'linear' | 'exponential'; startRps: number; endRps: number };
}

export interface TraceSpec {
  path: string;
  format: 'azure' | 'mooncake' | 'vidur';
  timeScale: number;
  startOffsetS: number;
}

export interface WorkloadSpec {
  requests: number;
  arrival?: ArrivalSpec;
  input?: LengthDistSpec;
  output?: LengthDistSpec;
  trace?: TraceSpec;
  /** `--max-concurrency`. */
  maxConcurrency?: number;
  /** `--random-prefix-len`. */
  prefixLen?: number;
  prefixSharing?: { sharedPrefixTokens: number; groups: number };
}
