/**
 * The scenario schema, written once (TypeBox) and used three ways: runtime validation by ajv
 * (errors carry JSON pointers), the TypeScript type `Scenario`, and scenarios/scenario.schema.json
 * for editors. Every field says its unit, default and bounds. Engine knobs are named after the vLLM
 * engine arguments they model, in camelCase.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Num = (description: string, opts: Record<string, unknown> = {}) => Type.Number({ description, ...opts });
const Int = (description: string, opts: Record<string, unknown> = {}) => Type.Integer({ description, ...opts });
const Str = (description: string, opts: Record<string, unknown> = {}) => Type.String({ description, ...opts });
const Bool = (description: string, dflt: boolean) => Type.Boolean({ description, default: dflt });
const Opt = <T extends TSchema>(t: T) => Type.Optional(t);
const Enum = <T extends string>(values: readonly T[], description: string, dflt?: T) =>
  Type.Unsafe<T>({ type: 'string', enum: values, description, ...(dflt !== undefined ? { default: dflt } : {}) });

export const LengthDist = Type.Object(
  {
    dist: Enum(['fixed', 'uniform', 'normal', 'lognormal', 'empirical', 'random'] as const, 'Length distribution family (random = `vllm bench serve --dataset-name random`).'),
    value: Opt(Int('fixed: the length; random: `--random-input-len` / `--random-output-len`, tokens.', { minimum: 1 })),
    rangeRatio: Opt(Num('random: `--random-range-ratio`; lengths are uniform integers in [floor(value x (1 - r)), ceil(value x (1 + r))] (default 0).', { minimum: 0, exclusiveMaximum: 1 })),
    min: Opt(Int('Lower clamp (uniform: lower bound), tokens.', { minimum: 1 })),
    max: Opt(Int('Upper clamp (uniform: upper bound), tokens.', { minimum: 1 })),
    mean: Opt(Num('normal: mean, tokens.', { exclusiveMinimum: 0 })),
    std: Opt(Num('normal: standard deviation, tokens.', { minimum: 0 })),
    median: Opt(Num('lognormal: median (= e^mu), tokens.', { exclusiveMinimum: 0 })),
    sigma: Opt(Num('lognormal: sigma of ln(length).', { minimum: 0 })),
    path: Opt(Str('empirical: CSV or JSONL file to sample lengths from (relative to the scenario file).')),
    column: Opt(Str('empirical: column (CSV) or key (JSONL) holding the length.')),
  },
  { additionalProperties: false, description: 'A distribution of token counts; which fields apply depends on `dist`.' },
);

export const Arrival = Type.Object(
  {
    process: Enum(['poisson', 'gamma', 'constant', 'all-at-once'] as const, 'Arrival process (gamma = `vllm bench serve --burstiness`).', 'poisson'),
    rate: Opt(Num('Mean arrival rate, requests/s (not for all-at-once).', { exclusiveMinimum: 0 })),
    burstiness: Opt(Num('gamma: shape factor; 1 = Poisson, < 1 burstier, > 1 more regular.', { exclusiveMinimum: 0, default: 1 })),
    rescale: Opt(Bool('poisson/gamma: rescale the random delays so the requests span exactly requests / rate, as `vllm bench serve` does (not with rampUp, as there).', true)),
    rampUp: Opt(
      Type.Object(
        {
          strategy: Enum(['linear', 'exponential'] as const, '`--ramp-up-strategy`: the rate of request i of N moves from startRps to endRps with progress i / (N - 1), linearly or geometrically.'),
          startRps: Num('`--ramp-up-start-rps`, requests/s.', { exclusiveMinimum: 0 }),
          endRps: Num('`--ramp-up-end-rps`, requests/s.', { exclusiveMinimum: 0 }),
        },
        { additionalProperties: false, description: 'Ramp-up of the arrival rate (poisson/gamma; replaces `rate`).' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const Trace = Type.Object(
  {
    path: Str('Trace file, relative to the scenario file.'),
    format: Enum(['azure', 'mooncake', 'vidur'] as const, 'azure: TIMESTAMP,ContextTokens,GeneratedTokens CSV; mooncake: JSONL with hash_ids; vidur: request_id,arrived_at,num_prefill_tokens,num_decode_tokens CSV.'),
    timeScale: Num('Multiply inter-arrival times by this (0.5 = twice the rate).', { exclusiveMinimum: 0, default: 1 }),
    startOffsetS: Num('Skip requests that arrive before this offset from the first arrival, s.', { minimum: 0, default: 0 }),
  },
  { additionalProperties: false },
);

export const Workload = Type.Object(
  {
    requests: Int('Number of requests (for a trace: the most to replay).', { minimum: 1, default: 1000 }),
    arrival: Opt(Arrival),
    input: Opt(LengthDist),
    output: Opt(LengthDist),
    trace: Opt(Trace),
    maxConcurrency: Opt(Int('`vllm bench serve --max-concurrency`: at most this many requests in flight; an arrival waits for a free slot (closed loop), and its latencies count from when it is sent.', { minimum: 1 })),
    prefixLen: Opt(Int('`--random-prefix-len`: tokens of one prefix shared by every prompt, added to the sampled input length.', { minimum: 0 })),
    prefixSharing: Opt(
      Type.Object(
        {
          sharedPrefixTokens: Int('Tokens of a system prompt shared by requests of one group.', { minimum: 0 }),
          groups: Int('Number of distinct shared prefixes.', { minimum: 1, default: 1 }),
        },
        { additionalProperties: false, description: 'Synthetic shared prefixes (for prefix caching); traces with hash_ids bring their own.' },
      ),
    ),
  },
  { additionalProperties: false, description: 'Either a synthetic workload (arrival, input, output) or a trace.' },
);

export const Engine = Type.Object(
  {
    maxNumSeqs: Int('vLLM --max-num-seqs: most sequences in one iteration.', { minimum: 1, default: 256 }),
    maxNumBatchedTokens: Int('vLLM --max-num-batched-tokens: token budget of one iteration.', { minimum: 1, default: 8192 }),
    blockSize: Int('vLLM --block-size: tokens per KV block.', { minimum: 1, default: 16 }),
    gpuMemoryUtilization: Num('vLLM --gpu-memory-utilization: fraction of GPU memory the instance may use.', { exclusiveMinimum: 0, maximum: 1, default: 0.9 }),
    numGpuBlocks: Opt(Int('Override the derived KV block count (vLLM --num-gpu-blocks-override, or read from a live server).', { minimum: 1 })),
    maxModelLen: Opt(Int('vLLM --max-model-len: longest prompt + output, tokens (default: the model\'s).', { minimum: 1 })),
    enableChunkedPrefill: Bool('vLLM --enable-chunked-prefill: split long prompts across iterations.', true),
    enablePrefixCaching: Bool('vLLM --enable-prefix-caching: reuse KV blocks of identical prefixes (block-hash LRU).', false),
    cpuOffloadGB: Num('vLLM --cpu-offload-gb: GB of weights per GPU kept in host memory and streamed over PCIe every forward pass.', { minimum: 0, default: 0 }),
    kvOffloadingGiB: Num('vLLM --kv-offloading-size: GiB of host memory for a CPU KV tier (OffloadingConnector).', { minimum: 0, default: 0 }),
    kvDiskGiB: Num('GiB of disk for a KV tier below the CPU tier (LMCache local disk).', { minimum: 0, default: 0 }),
    swapSpaceGiB: Num('Legacy vLLM --swap-space (V0): preempt by swapping KV to this much CPU memory instead of recompute.', { minimum: 0, default: 0 }),
    preemptionMode: Enum(['recompute', 'swap'] as const, 'How to preempt when KV blocks run out (V1: recompute).', 'recompute'),
    activationReserveGiB: Opt(Num('Memory kept for activations, CUDA graphs and non-torch allocations, GiB (default: derived from the model and token budget).', { minimum: 0 })),
  },
  { additionalProperties: false, description: 'vLLM engine arguments, camelCase. Defaults are vLLM V1\'s.' },
);

export const Pool = Type.Object(
  {
    name: Opt(Str('Pool name used in results (default: its role).')),
    role: Enum(['colocated', 'prefill', 'decode'] as const, 'colocated runs whole requests; prefill and decode pools split them.', 'colocated'),
    gpu: Str('GPU profile id (models/gpu/<id>.json).'),
    instances: Int('Engine instances (replicas) in this pool.', { minimum: 1, default: 1 }),
    tp: Int('Tensor-parallel degree of each instance.', { minimum: 1, default: 1 }),
    engine: Opt(Type.Partial(Engine, { additionalProperties: false, description: 'Per-pool overrides of the top-level engine arguments.' })),
  },
  { additionalProperties: false },
);

export const Transfer = Type.Object(
  {
    policy: Enum(['whole', 'layerwise'] as const, 'whole: KV moves after prefill ends; layerwise: layer i moves as soon as layer i is computed.', 'layerwise'),
    path: Enum(['direct', 'staging', 'network', 'disk'] as const, 'direct: GPU to GPU (NVLink or PCIe P2P); staging: via a CPU pinned buffer; network: RDMA between nodes; disk: shared disk KV store.', 'direct'),
    stagingBufferGiB: Num('staging: pinned host buffer capacity, GiB.', { exclusiveMinimum: 0, default: 4 }),
    hostMemory: Enum(['pinned', 'pageable'] as const, 'Host memory type of the staging buffer.', 'pinned'),
  },
  { additionalProperties: false, description: 'How KV moves from prefill to decode instances.' },
);

export const Topology = Type.Object(
  {
    gpusPerNode: Int('GPUs per node; instances are placed in pool order, tp GPUs each.', { minimum: 1, default: 8 }),
    nodes: Opt(Int('Nodes of the machine (default 1); pools needing more than nodes x gpusPerNode GPUs are an error, never extra nodes.', { minimum: 1 })),
    nvlink: Bool('GPUs of a node are connected by their NVLink (if the GPU profile has one).', true),
    p2pOverPcie: Bool('PCIe peer-to-peer between GPUs of a node (otherwise copies bounce through host memory).', false),
    hostLink: Opt(Str('Override the GPUs\' host link profile id (models/link), e.g. pcie-gen3-x16 for a laptop wired x16 Gen3.')),
    nic: Str('NIC link profile id between nodes (models/link).', { default: 'ib-ndr' }),
    hostMemory: Str('Host memory profile id (models/host).', { default: 'server-ddr5' }),
    disk: Str('Disk profile id (models/disk).', { default: 'nvme-gen4' }),
  },
  { additionalProperties: false },
);

export const Router = Type.Object(
  {
    policy: Enum(['round-robin', 'least-loaded', 'least-outstanding-tokens', 'power-of-two', 'prefix-aware'] as const, 'How requests are spread over instances of a pool.', 'round-robin'),
    disaggregate: Enum(['always', 'above-threshold'] as const, 'Send every request through prefill and decode pools, or only prompts above `thresholdTokens` (shorter ones go to a colocated pool or run prefill on the decode instance).', 'always'),
    thresholdTokens: Int('above-threshold: prompt length from which requests are disaggregated, tokens.', { minimum: 0, default: 0 }),
  },
  { additionalProperties: false },
);

export const Policies = Type.Object(
  {
    prefill: Enum(['fcfs', 'shortest-prompt-first'] as const, 'Order of waiting prompts on prefill (and colocated) instances.', 'fcfs'),
    decodeBatching: Enum(['continuous', 'length-bins'] as const, 'Decode batch composition: vLLM continuous batching, or bins by sequence length.', 'continuous'),
    lengthBinTokens: Int('length-bins: width of a bin, tokens of context.', { minimum: 1, default: 512 }),
    evictAtEos: Enum(['iteration-end', 'same-iteration'] as const, 'When a finished sequence frees its slot and blocks.', 'iteration-end'),
    adaptiveBatchTpotMs: Opt(Num('Adaptive decode batch size: shrink the batch to keep TPOT under this target, ms.', { exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
);

export const Slo = Type.Object(
  {
    ttftMs: Opt(Num('TTFT SLO, ms.', { exclusiveMinimum: 0 })),
    tpotMs: Opt(Num('TPOT SLO, ms.', { exclusiveMinimum: 0 })),
    e2elMs: Opt(Num('End-to-end latency SLO, ms.', { exclusiveMinimum: 0 })),
  },
  { additionalProperties: false, description: 'Goodput counts requests meeting every given SLO (vllm bench serve --goodput).' },
);

export const ScenarioSchema = Type.Object(
  {
    $schema: Opt(Str('Path of scenario.schema.json, for editors.')),
    name: Str('Scenario name (used in output paths).', { pattern: '^[A-Za-z0-9._-]+$' }),
    description: Opt(Str('What this scenario is for.')),
    seed: Int('Seed of every random stream.', { default: 1 }),
    model: Str('LLM architecture id (models/llm/<id>.json).'),
    engine: Type.Optional(Engine),
    vllmArgs: Opt(Str('Alternative to `engine`: a `vllm serve` argument string, parsed into the same knobs (e.g. "--max-num-seqs 128 --gpu-memory-utilization 0.8").')),
    deployment: Type.Object(
      {
        pools: Type.Array(Pool, { minItems: 1, description: 'Instance pools: one colocated pool, or prefill + decode pools (xPyD), on any GPUs.' }),
        router: Opt(Router),
        transfer: Opt(Transfer),
        topology: Opt(Topology),
        policies: Opt(Policies),
      },
      { additionalProperties: false },
    ),
    workload: Workload,
    slo: Opt(Slo),
    output: Opt(
      Type.Object(
        {
          sampleIntervalS: Opt(Num('Time-series sampling interval for reports, simulated seconds (default: about duration/200).', { exclusiveMinimum: 0 })),
          timeline: Bool('Record the compute/transfer timeline (Gantt) for the report.', true),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, $id: 'https://pdsim.dev/scenario.schema.json', title: 'pdsim scenario' },
);

export type Scenario = Static<typeof ScenarioSchema>;
export type EngineArgs = Static<typeof Engine>;
export type PoolSpec = Static<typeof Pool>;
export type LengthDistSpec = Static<typeof LengthDist>;
export type WorkloadSpec = Static<typeof Workload>;
