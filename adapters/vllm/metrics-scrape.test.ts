import { describe, expect, it } from 'vitest';
import { cacheConfig, metricsDelta, parsePrometheus, snapshot } from './metrics-scrape.js';

const before = `# HELP vllm:num_preemptions_total Cumulative number of preemption from the engine.
# TYPE vllm:num_preemptions_total counter
vllm:num_preemptions_total{engine="0",model_name="m"} 2.0
vllm:num_preemptions_created{engine="0",model_name="m"} 1.7e9
vllm:gpu_prefix_cache_queries_total{engine="0",model_name="m"} 100
vllm:gpu_prefix_cache_hits_total{engine="0",model_name="m"} 10
vllm:time_to_first_token_seconds_count{engine="0",model_name="m"} 4
vllm:time_to_first_token_seconds_sum{engine="0",model_name="m"} 0.4
vllm:cache_config_info{block_size="16",cache_dtype="auto",gpu_memory_utilization="0.9",num_gpu_blocks="27000",engine="0"} 1.0
`;
const after = `vllm:num_preemptions_total{engine="0",model_name="m"} 5.0
vllm:gpu_prefix_cache_queries_total{engine="0",model_name="m"} 300
vllm:gpu_prefix_cache_hits_total{engine="0",model_name="m"} 110
vllm:time_to_first_token_seconds_count{engine="0",model_name="m"} 14
vllm:time_to_first_token_seconds_sum{engine="0",model_name="m"} 2.4
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="m",le="+Inf"} 14
vllm:time_per_output_token_seconds_count{engine="0",model_name="m"} 10
vllm:time_per_output_token_seconds_sum{engine="0",model_name="m"} 0.5
vllm:gpu_cache_usage_perc{engine="0",model_name="m"} 0.25
`;

describe('metrics scrape', () => {
  it('parses samples, labels with escapes and +Inf, and skips _created', () => {
    const s = parsePrometheus('a_total{x="q\\"uote"} 3\na_created 5\nb_bucket{le="+Inf"} 7\n# comment\n');
    expect(s).toEqual([
      { name: 'a_total', labels: { x: 'q"uote' }, value: 3 },
      { name: 'b_bucket', labels: { le: '+Inf' }, value: 7 },
    ]);
  });
  it('reads KV capacity from cache_config_info', () => {
    expect(cacheConfig(snapshot(before))).toMatchObject({ numGpuBlocks: 27000, blockSizeTokens: 16 });
    expect(cacheConfig(snapshot(after))).toBeUndefined();
  });
  it('computes deltas with the old metric names', () => {
    const d = metricsDelta(snapshot(before, 0), snapshot(after, 10_000));
    expect(d.durationS).toBe(10);
    expect(d.preemptions).toBe(3);
    expect(d.prefixCacheHitRate).toBeCloseTo(0.5);
    expect(d.histograms.ttftS).toEqual({ count: 10, sumS: 2, meanMs: 200 });
    expect(d.histograms.itlS!.meanMs).toBeCloseTo(50);
    expect(d.kvCacheUsagePercAfter).toBe(0.25);
    expect(d.generationTokens).toBeNull();
  });
});
