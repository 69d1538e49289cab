/**
 * The scenario schema, written once (TypeBox) and used three ways: runtime validation by ajv
 * (errors carry JSON pointers), the TypeScript type `Scenario`, and scenarios/scenario.schema.json
 * for editors. Every field says its unit, default and bounds. Engine knobs are named after the vLLM
 * engine arguments they model, in camelCase.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { KV_CACHE_DTYPES, MODEL_DTYPES, WEIGHT_QUANTIZATIONS } from '../model/quantization.js';

const Num = (description: string, opts: Record<string, unknown> = {}) => Type.Number({ description, ...opts });
const Int = (description: string, opts: Record<string, unknown> = {}) => Type.Integer({ description, ...opts });
const Str = (description: string, opts: Record<string, unknown> = {}) => Type.String({ description, ...opts });
const Bool = (description: string, dflt: boolean) => Type.Boolean({ description, default: dflt });
const Opt = <T extends TSchema>(t: T) => Type.Optional(t);
const Enum = <T extends string>(values: readonly T[], description: string, dflt?: T) =>
  Type.Unsafe<T>({ type: 'string', enum: values, description, ...(dflt !== undefined ? { default: dflt } : {}) });

/** Longest sequence any field may name, tokens (10M: beyond every catalog model's context). */
const MAX_TOKENS = 10_000_000;
/** Most requests a run may have: a million-request run takes seconds, so 10M is minutes, not days. */
export const MAX_REQUESTS = 10_000_000;

export const LengthDist = Type.Object(
  {
    dist: Enum(['fixed', 'uniform', 'normal', 'lognormal', 'empirical', 'random'] as const, 'Length distribution family (random = `vllm bench serve --dataset-name random`).'),
    value: Opt(Int('fixed: the length; random: `--random-input-len` / `--random-output-len`, tokens.', { minimum: 1, maximum: MAX_TOKENS })),
    rangeRatio: Opt(Num('random: `--random-range-ratio`; lengths are uniform integers in [floor(value x (1 - r)), ceil(value x (1 + r))] (default 0).', { minimum: 0, exclusiveMaximum: 1 })),
    min: Opt(Int('Lower clamp (uniform: lower bound), tokens.', { minimum: 1, maximum: MAX_TOKENS })),
    max: Opt(Int('Upper clamp (uniform: upper bound), tokens.', { minimum: 1, maximum: MAX_TOKENS })),
    mean: Opt(Num('normal: mean, tokens.', { exclusiveMinimum: 0, maximum: MAX_TOKENS })),
    std: Opt(Num('normal: standard deviation, tokens.', { minimum: 0, maximum: MAX_TOKENS })),
    median: Opt(Num('lognormal: median (= e^mu), tokens.', { exclusiveMinimum: 0, maximum: MAX_TOKENS })),
    sigma: Opt(Num('lognormal: sigma of ln(length).', { minimum: 0, maximum: 10 })),
    path: Opt(Str('empirical: CSV or JSONL file to sample lengths from (relative to the scenario file).')),
    column: Opt(Str('empirical: column (CSV) or key (JSONL) holding the length.')),
  },
  { additionalProperties: false, description: 'A distribution of token counts; which fields apply depends on `dist`.' },
);

export const Arrival = Type.Object(
  {
    process: Enum(['poisson', 'gamma', 'constant', 'all-at-once'] as const, 'Arrival process (gamma = `vllm bench serve --burstiness`).', 'poisson'),
    rate: Opt(Num('Mean arrival rate, requests/s (not for all-at-once; at most 1,000,000).', { exclusiveMinimum: 0, maximum: 1e6 })),
    burstiness: Opt(Num('gamma: shape factor; 1 = Poisson, < 1 burstier, > 1 more regular.', { exclusiveMinimum: 0, maximum: 1000, default: 1 })),
    rescale: Opt(Bool('poisson/gamma: rescale the random delays so the requests span exactly requests / rate, as `vllm bench serve` does (not with rampUp, as there).', true)),
    rampUp: Opt(
      Type.Object(
        {
          strategy: Enum(['linear', 'exponential'] as const, '`--ramp-up-strategy`: the rate of request i of N moves from startRps to endRps with progress i / (N - 1), linearly or geometrically.'),
          startRps: Num('`--ramp-up-start-rps`, requests/s.', { exclusiveMinimum: 0, maximum: 1e6 }),
          endRps: Num('`--ramp-up-end-rps`, requests/s.', { exclusiveMinimum: 0, maximum: 1e6 }),
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
    timeScale: Num('Multiply inter-arrival times by this (0.5 = twice the rate).', { exclusiveMinimum: 0, maximum: 1e6, default: 1 }),
    startOffsetS: Num('Skip requests that arrive before this offset from the first arrival, s.', { minimum: 0, maximum: 1e9, default: 0 }),
  },
  { additionalProperties: false },
);

export const Workload = Type.Object(
  {
    requests: Int('Number of requests (for a trace: the most to replay); at most 10,000,000.', { minimum: 1, maximum: MAX_REQUESTS, default: 1000 }),
    arrival: Opt(Arrival),
    input: Opt(LengthDist),
    output: Opt(LengthDist),
    trace: Opt(Trace),
    maxConcurrency: Opt(Int('`vllm bench serve --max-concurrency`: at most this many requests in flight; an arrival waits for a free slot (closed loop), and its latencies count from when it is sent.', { minimum: 1, maximum: 1_000_000 })),
    prefixLen: Opt(Int('`--random-prefix-len`: tokens of one prefix shared by every prompt, added to the sampled input length.', { minimum: 0, maximum: MAX_TOKENS })),
    sampling: Opt(
      Type.Object(
        {
          temperature: Opt(Num('0 = greedy (`vllm bench serve` sends 0 unless told otherwise).', { minimum: 0, maximum: 100 })),
          topK: Opt(Int('top_k; 0 or -1 = off.', { minimum: -1, maximum: 10_000_000 })),
          topP: Opt(Num('top_p; 1 = off.', { exclusiveMinimum: 0, maximum: 1 })),
          repetitionPenalty: Opt(Num('repetition_penalty; 1 = off.', { exclusiveMinimum: 0, maximum: 100 })),
          frequencyPenalty: Opt(Num('frequency_penalty; 0 = off.', { minimum: -2, maximum: 2 })),
          presencePenalty: Opt(Num('presence_penalty; 0 = off.', { minimum: -2, maximum: 2 })),
        },
        { additionalProperties: false, description: 'The sampling parameters every request runs with, after the server\'s defaults (`vllm serve` fills the ones a request leaves unset from the model\'s generation_config). Prices the sampler\'s passes over the logits each step (src/perf/sampler.ts); absent: sampling is not priced.' },
      ),
    ),
    prefixSharing: Opt(
      Type.Object(
        {
          sharedPrefixTokens: Int('Tokens of a system prompt shared by requests of one group.', { minimum: 0, maximum: MAX_TOKENS }),
          groups: Int('Number of distinct shared prefixes.', { minimum: 1, maximum: 1_000_000, default: 1 }),
        },
        { additionalProperties: false, description: 'Synthetic shared prefixes (for prefix caching); traces with hash_ids bring their own.' },
      ),
    ),
  },
  { additionalProperties: false, description: 'Either a synthetic workload (arrival, input, output) or a trace.' },
);

export const Engine = Type.Object(
  {
    vllmVersion: Opt(Str('vLLM version to predict, e.g. "0.5.4" or "0.11.0": picks the engine generation (V0/V1, by GPU: Turing ran V0 up to 0.10), its scheduler, per-step CPU overhead and the defaults of the knobs below left unset (default: the newest modelled, written into scenario.resolved.json).')),
    maxNumSeqs: Opt(Int('vLLM --max-num-seqs: most sequences in one iteration (at most 65,536; default: the version\'s: V0 256; V1 1024 on >= 70 GiB non-A100 GPUs, else 256).', { minimum: 1, maximum: 65536 })),
    maxNumBatchedTokens: Opt(Int('vLLM --max-num-batched-tokens: token budget of one iteration, tokens (at most 16,777,216; default: the version\'s `vllm serve` default: V1 8192 on >= 70 GiB non-A100 GPUs, else 2048; V0 max(maxModelLen, 2048), or 2048 with chunked prefill).', { minimum: 1, maximum: 16_777_216 })),
    blockSize: Int('vLLM --block-size: tokens per KV block (at most 1024).', { minimum: 1, maximum: 1024, default: 16 }),
    gpuMemoryUtilization: Opt(Num('vLLM --gpu-memory-utilization: fraction of GPU memory the instance may use (default: the version\'s, 0.90; 0.92 from 0.25).', { exclusiveMinimum: 0, maximum: 1 })),
    numGpuBlocks: Opt(Int('Override the derived KV block count (vLLM --num-gpu-blocks-override, or read from a live server).', { minimum: 1, maximum: 100_000_000 })),
    maxModelLen: Opt(Int('vLLM --max-model-len: longest prompt + output, tokens (default: the model\'s).', { minimum: 1, maximum: MAX_TOKENS })),
    enableChunkedPrefill: Opt(Type.Boolean({ description: 'vLLM --enable-chunked-prefill: split long prompts across iterations (default: V1 on; V0 off, on above 32K context from 0.5.4).' })),
    enablePrefixCaching: Opt(Type.Boolean({ description: 'vLLM --enable-prefix-caching: reuse KV blocks of identical prefixes, block-hash LRU (default: V1 on, V0 off).' })),
    asyncScheduling: Opt(Type.Boolean({ description: 'vLLM --async-scheduling (V1): schedule step N+1 while N runs, hiding most per-step CPU time (default: the version\'s, on from 0.14).' })),
    quantization: Enum(WEIGHT_QUANTIZATIONS, 'vLLM --quantization of the decoder\'s linear weights: fp8 (W8A8 on Ada/Hopper, weight-only Marlin below), int8 (W8A8), awq/gptq (4-bit, group 128), *_marlin (Marlin kernels).', 'none'),
    kvCacheDtype: Enum(KV_CACHE_DTYPES, 'vLLM --kv-cache-dtype: fp8 halves KV bytes per token (twice the KV capacity).', 'auto'),
    dtype: Enum(MODEL_DTYPES, 'vLLM --dtype of activations and unquantized weights (2 bytes either way; bfloat16 needs compute capability >= 8.0).', 'auto'),
    cpuOffloadGB: Num('vLLM --cpu-offload-gb: GB of weights per GPU kept in host memory and streamed over PCIe every forward pass.', { minimum: 0, maximum: 10_000, default: 0 }),
    kvOffloadingGiB: Num('vLLM --kv-offloading-size: GiB of host memory for a CPU KV tier (OffloadingConnector).', { minimum: 0, maximum: 1_000_000, default: 0 }),
    kvDiskGiB: Num('GiB of disk for a KV tier below the CPU tier (LMCache local disk).', { minimum: 0, maximum: 1_000_000, default: 0 }),
    swapSpaceGiB: Num('Legacy vLLM --swap-space (V0): preempt by swapping KV to this much CPU memory instead of recompute.', { minimum: 0, maximum: 1_000_000, default: 0 }),
    preemptionMode: Enum(['recompute', 'swap'] as const, 'How to preempt when KV blocks run out (V1: recompute).', 'recompute'),
    activationReserveGiB: Opt(Num('Memory kept for activations, CUDA graphs and non-torch allocations, GiB (default: derived from the model and token budget).', { minimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false, description: 'vLLM engine arguments, camelCase. Knobs left unset take the defaults of engine.vllmVersion on the pool\'s GPU.' },
);

export const Pool = Type.Object(
  {
    name: Opt(Str('Pool name used in results (default: its role).')),
    role: Enum(['colocated', 'prefill', 'decode'] as const, 'colocated runs whole requests; prefill and decode pools split them.', 'colocated'),
    gpu: Str('GPU profile id (models/gpu/<id>.json).'),
    instances: Int('Engine instances (replicas) in this pool (at most 4096).', { minimum: 1, maximum: 4096, default: 1 }),
    tp: Int('Tensor-parallel degree of each instance, GPUs (at most 64).', { minimum: 1, maximum: 64, default: 1 }),
    engine: Opt(Type.Partial(Engine, { additionalProperties: false, description: 'Per-pool overrides of the top-level engine arguments.' })),
  },
  { additionalProperties: false },
);

export const Transfer = Type.Object(
  {
    policy: Enum(['whole', 'layerwise'] as const, 'whole: KV moves after prefill ends; layerwise: layer i moves as soon as layer i is computed.', 'layerwise'),
    path: Enum(['direct', 'staging', 'network', 'disk'] as const, 'direct: GPU to GPU (NVLink or PCIe P2P); staging: via a CPU pinned buffer; network: RDMA between nodes; disk: shared disk KV store (LMCache-style: whole chunkTokens chunks, the tail recomputed by decode); with topology.sharedGpu, disk or staging.', 'direct'),
    stagingBufferGiB: Num('staging: pinned host buffer capacity, GiB.', { exclusiveMinimum: 0, maximum: 100_000, default: 4 }),
    hostMemory: Enum(['pinned', 'pageable'] as const, 'Host memory type of the staging buffer.', 'pinned'),
    chunkTokens: Opt(Int('disk: LMCache `chunk_size`, tokens (default 256). KV is stored in whole chunks; a trailing partial chunk is not stored (LMCache `save_unfull_chunk` False) and the decode instance recomputes those tokens.', { minimum: 1, maximum: MAX_TOKENS })),
  },
  { additionalProperties: false, description: 'How KV moves from prefill to decode instances.' },
);

export const Topology = Type.Object(
  {
    gpusPerNode: Int('GPUs per node; instances are placed in pool order, tp GPUs each (at most 64).', { minimum: 1, maximum: 64, default: 8 }),
    nodes: Opt(Int('Nodes of the machine (default 1); pools needing more than nodes x gpusPerNode GPUs are an error, never extra nodes.', { minimum: 1, maximum: 4096 })),
    nvlink: Bool('GPUs of a node are connected by their NVLink (if the GPU profile has one).', true),
    p2pOverPcie: Bool('PCIe peer-to-peer between GPUs of a node (otherwise copies bounce through host memory).', false),
    hostLink: Opt(Str('Override the GPUs\' host link profile id (models/link), e.g. pcie-gen3-x16 for a laptop wired x16 Gen3.')),
    nic: Str('NIC link profile id between nodes (models/link).', { default: 'ib-ndr' }),
    hostMemory: Str('Host memory profile id (models/host).', { default: 'server-ddr5' }),
    disk: Str('Disk profile id (models/disk).', { default: 'nvme-gen4' }),
    sharedGpu: Opt(Type.Boolean({ description: 'Every instance of every pool runs on the same GPU(s) (reference A: a prefill and a decode vLLM on one laptop GPU): memory split by each one\'s gpuMemoryUtilization (their sum at most 1), iterations take turns on the GPU. Default false: one GPU set per instance.' })),
  },
  { additionalProperties: false },
);

export const Router = Type.Object(
  {
    policy: Enum(['round-robin', 'least-loaded', 'least-outstanding-tokens', 'power-of-two', 'prefix-aware'] as const, 'How requests are spread over instances of a pool.', 'round-robin'),
    disaggregate: Enum(['always', 'above-threshold'] as const, 'Send every request through prefill and decode pools, or only prompts above `thresholdTokens` (shorter ones go to a colocated pool or run prefill on the decode instance).', 'always'),
    thresholdTokens: Int('above-threshold: prompt length from which requests are disaggregated, tokens.', { minimum: 0, maximum: MAX_TOKENS, default: 0 }),
  },
  { additionalProperties: false },
);

export const Policies = Type.Object(
  {
    prefill: Enum(['fcfs', 'shortest-prompt-first'] as const, 'Order of waiting prompts on prefill (and colocated) instances.', 'fcfs'),
    decodeBatching: Enum(['continuous', 'length-bins'] as const, 'Decode batch composition: vLLM continuous batching, or bins by sequence length.', 'continuous'),
    lengthBinTokens: Int('length-bins: width of a bin, tokens of context.', { minimum: 1, maximum: MAX_TOKENS, default: 512 }),
    evictAtEos: Enum(['iteration-end', 'same-iteration'] as const, 'When a finished sequence frees its slot and blocks.', 'iteration-end'),
    adaptiveBatchTpotMs: Opt(Num('Adaptive decode batch size: shrink the batch to keep TPOT under this target, ms.', { exclusiveMinimum: 0, maximum: 1e9 })),
  },
  { additionalProperties: false },
);

export const Slo = Type.Object(
  {
    ttftMs: Opt(Num('TTFT SLO, ms.', { exclusiveMinimum: 0, maximum: 1e9 })),
    tpotMs: Opt(Num('TPOT SLO, ms.', { exclusiveMinimum: 0, maximum: 1e9 })),
    e2elMs: Opt(Num('End-to-end latency SLO, ms.', { exclusiveMinimum: 0, maximum: 1e9 })),
  },
  { additionalProperties: false, description: 'Goodput counts requests meeting every given SLO (vllm bench serve --goodput).' },
);

export const ScenarioSchema = Type.Object(
  {
    $schema: Opt(Str('Path of scenario.schema.json, for editors.')),
    name: Str('Scenario name (used in output paths).', { pattern: '^[A-Za-z0-9._-]+$' }),
    description: Opt(Str('What this scenario is for.')),
    seed: Int('Seed of every random stream: an integer from 0 to 2^53 - 1.', { minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 1 }),
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
          sampleIntervalS: Opt(Num('Time-series sampling interval for reports, simulated seconds (default: about duration/200).', { exclusiveMinimum: 0, maximum: 1e9 })),
          timeline: Bool('Record the compute/transfer timeline (Gantt) for the report.', true),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, $id: 'https://pdsim.dev/scenario.schema.json', title: 'pdsim scenario' },
);

export type Scenario = Static<typeof ScenarioSchema>;
/** Engine knobs whose defaults depend on the vLLM version and GPU; filled in at load (src/scenario/engine-defaults.ts). */
export type VersionDefaulted = 'vllmVersion' | 'maxNumSeqs' | 'maxNumBatchedTokens' | 'gpuMemoryUtilization' | 'enableChunkedPrefill' | 'enablePrefixCaching' | 'asyncScheduling';
/** Engine arguments as resolved: every version-dependent default filled in. */
export type EngineArgs = Static<typeof Engine> & Required<Pick<Static<typeof Engine>, VersionDefaulted>>;
export type PoolSpec = Static<typeof Pool>;
export type LengthDistSpec = Static<typeof LengthDist>;
export type WorkloadSpec = Static<typeof Workload>;
