/**
 * The shape of summary.json, written once (TypeBox) and used two ways: the TypeScript type `Summary`
 * that src/metrics assembles and every command reads, and docs/summary.schema.json (`npm run
 * schema`) for anyone who reads the file. Top-level keys are those of `vllm bench serve
 * --save-result`; pdsim's own figures sit under `pdsim`. Definitions: docs/metrics.md.
 *
 * Figures rounded by `round6` are `number | null`: a non-finite value (a mean of nothing) has no
 * JSON form and is written as null.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Opt = <T extends TSchema>(t: T) => Type.Optional(t);
const Int = (description?: string) => Type.Integer(description !== undefined ? { description } : {});
const Num = (description?: string) => Type.Number(description !== undefined ? { description } : {});
const Str = (description?: string) => Type.String(description !== undefined ? { description } : {});
/** A round6 figure. */
const R = (description?: string) => Type.Union([Type.Number(), Type.Null()], description !== undefined ? { description } : {});
const Obj = <P extends Record<string, TSchema>>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description !== undefined ? { description } : {}) });
const ByName = <T extends TSchema>(t: T, description: string) => Type.Record(Type.String(), t, { description });

import { LATENCY_METRICS, LATENCY_STATS, type LatencyKey } from './latency-keys.js';
export { LATENCY_METRICS, LATENCY_STATS, type LatencyKey, type LatencyMetric, type LatencyStat } from './latency-keys.js';

/** The 20 `{mean,median,std,p90,p99}_{ttft,tpot,itl,e2el}_ms` keys, in vLLM's order. */
function latencyProps(): { [K in LatencyKey]: ReturnType<typeof R> } {
  const out: Record<string, ReturnType<typeof R>> = {};
  for (const m of LATENCY_METRICS) for (const s of LATENCY_STATS) out[`${s}_${m}_ms`] = R(`${s} ${m.toUpperCase()}, ms`);
  return out as { [K in LatencyKey]: ReturnType<typeof R> };
}

/** mean / median / p90 / p99 of a per-request distribution. */
const Spread = Obj({ mean: R(), median: R(), p90: R(), p99: R() });

const Instance = Obj({ busy_fraction: R(), iterations: Int(), mean_batch_size: R(), mean_tokens_per_iteration: R(), preemptions: Int() });
const KvCapacity = Obj({ gpu: Str(), tp: Int(), num_gpu_blocks: Int(), block_size: Int(), kv_tokens: Int() });
const GpuOwn = { busy_fraction: R(), mfu: R(), mbu_weights: R(), kv_occupancy_mean: Opt(R()), kv_occupancy_peak: Opt(R()) };
const Gpu = Obj({
  instance: Str('the instance, or "a+b" for instances sharing the GPU (topology.sharedGpu)'), gpu: Str(), ...GpuOwn,
  instances: Opt(ByName(Obj(GpuOwn), 'a shared GPU: each instance\'s own figures')),
});
const Link = Obj({ utilisation: R(), busy_fraction: R(), bytes: Num('bytes carried (a sum of fluid flows: may have a fraction)'), peak_load_fraction: R() });
const Staging = Obj({ capacity_bytes: Num(), peak_occupancy: R(), mean_occupancy: R(), waits: Int(), mean_queue_length: R(), max_queue: Int() });
const CpuTier = Obj({
  capacity_blocks: Int(), capacity_bytes: Num(), peak_occupancy: R(), mean_occupancy: R(), held_blocks_end: Int(), hit_blocks: Int(), hit_tokens: Int(), hit_rate: R(),
  stored_blocks: Int(), store_calls: Int(), evictions: Int(), demotions: Int(), bytes_d2h: Num(), bytes_h2d: Num(),
});
const DiskTier = Obj({
  capacity_blocks: Int(), capacity_bytes: Num(), peak_occupancy: R(), mean_occupancy: R(), held_blocks_end: Int(), hit_blocks: Int(), hit_tokens: Int(), hit_rate: R(),
  evictions: Int(), promotions: Int(), bytes_written: Num(), bytes_read: Num(),
});
const KvTiers = Obj({
  block_bytes: Num(), lookups: Int(), queried_tokens: Int(), gpu_hit_tokens: Int(), gpu_hit_rate: R(), tier_hit_tokens: Int(), tier_hit_rate: R(),
  cpu: CpuTier,
  loads: Obj({ count: Int(), loaded_tokens: Int(), mean_wait_ms: R(), max_wait_ms: R() }),
  disk: Opt(DiskTier),
});
const Swap = Obj({
  capacity_blocks: Int(), capacity_bytes: Num(), swap_outs: Int(), swap_ins: Int(), recompute_fallbacks: Int(), peak_occupancy: R(), mean_occupancy: R(),
  bytes_out: Num(), bytes_in: Num(), mean_swap_in_wait_ms: R(),
});

/** What a disaggregated deployment adds under `pdsim` (docs/metrics.md, "Disaggregation and tiers"). */
export const DisaggFiguresSchema = Obj({
  disaggregation: Obj({ transfer_policy: Opt(Str()), transfer_path: Opt(Str()), decode_batching: Opt(Str()), unfinished_transfers: Int() }),
  prefill_ttft_ms: Spread,
  kv_transfer: Obj({
    count: Int(), bytes_total: Num(), duration_ms: Spread, exposed_ms: Spread, link_exposed_ms: Spread, decode_reservation_wait_ms: Spread, staging_wait_ms: Spread,
    overlap_fraction: R(), overlap_per_request: Spread,
  }),
  back_pressure: Obj({ decode_reservation_waits: Int(), decode_queue_mean_length: R(), decode_queue_max: Int(), staging_queue_mean_length: R() }),
  gpus: ByName(Gpu, 'per GPU (gpu<k>)'),
  links: ByName(Link, 'per link direction that carried bytes'),
  staging: ByName(Staging, 'per node (node<k>) staging buffer'),
});

/** `kv_tiers` and `swap`, each only when some instance uses it. */
export const TierFiguresSchema = Obj({
  kv_tiers: Opt(ByName(KvTiers, 'per instance with a CPU (and disk) KV tier')),
  swap: Opt(ByName(Swap, 'per instance with a swap area')),
});

export const PdsimSectionSchema = Obj({
  preemptions: Int(),
  preempted_requests: Int(),
  goodput_requests: Int(),
  prefix_cache_hit_tokens: Int(),
  prefix_cache_hit_rate: R(),
  failures: ByName(Int(), 'failed requests by reason'),
  quantiles_exact: Type.Boolean({ description: 'false once a distribution passed its exact-sample cap (0.5% sketch)' }),
  instances: ByName(Instance, 'per engine instance'),
  seed: Int(),
  scenario: Str(),
  model: Str('catalog model id'),
  simulated_events: Int(),
  interrupted: Type.Boolean(),
  uncalibrated_gpus: Type.Array(Type.String()),
  out_of_range: Type.Array(Type.Object({
    pool: Str(),
    gpu: Str(),
    what: Str('what lies outside, e.g. "model", "context tokens", "tp"'),
    value: Type.Union([Type.Number(), Type.String()]),
    calibratedRange: Str('what was calibrated, in words'),
  }, { additionalProperties: false }), { description: "predictions outside a profile's calibrated range" }),
  kv_capacity: ByName(KvCapacity, 'per pool'),
  disaggregation: Opt(DisaggFiguresSchema.properties.disaggregation),
  prefill_ttft_ms: Opt(Spread),
  kv_transfer: Opt(DisaggFiguresSchema.properties.kv_transfer),
  back_pressure: Opt(DisaggFiguresSchema.properties.back_pressure),
  gpus: Opt(DisaggFiguresSchema.properties.gpus),
  links: Opt(DisaggFiguresSchema.properties.links),
  staging: Opt(DisaggFiguresSchema.properties.staging),
  ...TierFiguresSchema.properties,
  interrupt_reason: Opt(Str('signal name, or the I/O error that stopped the run')),
  requests_jsonl_records: Opt(Int('complete records requests.jsonl holds after an I/O error')),
});

const Seconds = Type.Array(Type.Number());

export const SummarySchema = Type.Object(
  {
    date: Type.Union([Type.String(), Type.Null()], { description: 'vLLM %Y%m%d-%H%M%S from SOURCE_DATE_EPOCH, else null' }),
    endpoint_type: Str(),
    backend: Str(),
    label: Str(),
    model_id: Str(),
    tokenizer_id: Str(),
    num_prompts: Int(),
    request_rate: Type.Union([Type.Number(), Type.Literal('inf'), Type.Null()]),
    burstiness: Type.Union([Type.Number(), Type.Null()]),
    max_concurrency: Type.Union([Type.Integer(), Type.Null()]),
    ramp_up_strategy: Opt(Str()),
    ramp_up_start_rps: Opt(Num()),
    ramp_up_end_rps: Opt(Num()),
    completed: Int(),
    failed: Int(),
    duration: R('seconds'),
    total_input_tokens: Int(),
    total_output_tokens: Int(),
    request_throughput: R('req/s'),
    request_goodput: R('req/s; null without an SLO'),
    output_throughput: R('tok/s'),
    total_token_throughput: R('tok/s'),
    max_output_tokens_per_s: Int(),
    max_concurrent_requests: Int(),
    ...latencyProps(),
    pdsim: PdsimSectionSchema,
    // --save-detailed
    input_lens: Opt(Type.Array(Type.Integer())),
    output_lens: Opt(Type.Array(Type.Integer())),
    ttfts: Opt(Seconds),
    start_times: Opt(Seconds),
    latencies: Opt(Seconds),
    errors: Opt(Type.Array(Type.String())),
    queue_times: Opt(Seconds),
  },
  { additionalProperties: false, $id: 'https://pdsim.dev/summary.schema.json', title: 'pdsim summary.json' },
);

export type Summary = Static<typeof SummarySchema>;
export type PdsimSection = Static<typeof PdsimSectionSchema>;
export type DisaggFigures = Static<typeof DisaggFiguresSchema>;
export type TierFigures = Static<typeof TierFiguresSchema>;
/** What a deployment adds under `pdsim`: P/D figures, tiers, and (colocated tiers) the links. */
export type DeploymentFigures = Partial<DisaggFigures> & TierFigures;
export type SpreadFigures = Static<typeof Spread>;
export type InstanceFigures = Static<typeof Instance>;
export type GpuFigures = Static<typeof Gpu>;
export type LinkFigures = Static<typeof Link>;
export type StagingFigures = Static<typeof Staging>;
export type KvTierFigures = Static<typeof KvTiers>;
export type SwapFigures = Static<typeof Swap>;
export type KvCapacityFigures = Static<typeof KvCapacity>;
/** The run-information keys of `vllm bench serve --save-result`. */
export type BenchRunInfo = Pick<Summary, 'date' | 'endpoint_type' | 'backend' | 'label' | 'model_id' | 'tokenizer_id' | 'num_prompts' | 'request_rate' | 'burstiness' | 'max_concurrency' | 'ramp_up_strategy' | 'ramp_up_start_rps' | 'ramp_up_end_rps'>;

/** docs/summary.schema.json as `npm run schema` writes it. */
export function summarySchemaText(): string {
  return JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...SummarySchema }, null, 2) + '\n';
}
