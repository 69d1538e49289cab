import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { benchSummary } from './bench-metrics.js';
import { parseBenchResult, readBenchResult } from './bench-result.js';
import { runValidate } from './validate-run.js';
import type { ReportInput } from '../../src/report/types.js';

const fx = (f: string): string => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));
const BASIC = fx('vllm-bench-8qps.json');
const DETAILED = fx('vllm-bench-8qps-detailed.json');
const SCENARIO = fx('bench-8qps.yaml');
const tmp = (): string => mkdtempSync(join(tmpdir(), 'pdsim-bench-'));
const raw = (f: string): Record<string, unknown> => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;

describe('vllm bench serve result files', () => {
  it('reads the run info and the stats of a default --save-result file; missing stats are null', () => {
    const b = readBenchResult(BASIC);
    expect(b.info).toMatchObject({ model_id: 'meta-llama/Llama-3.1-8B', num_prompts: 40, request_rate: 8, burstiness: 1, max_concurrency: null, date: '20260115-143012' });
    expect(b.summary.completed).toBe(39);
    expect(b.summary.p99_ttft_ms).toBeCloseTo(raw(BASIC)['p99_ttft_ms'] as number, 12);
    expect(b.summary.p90_ttft_ms).toBeNull(); // only --metric-percentiles 99
    expect(b.summary.mean_e2el_ms).toBeNull(); // e2el not in the default --percentile-metrics
    expect(b.requests).toBeUndefined();
  });

  it('turns the --save-detailed arrays (seconds) into per-request results whose stats are the file\'s own', () => {
    const b = readBenchResult(DETAILED);
    const reqs = b.requests!;
    expect(reqs).toHaveLength(40);
    expect(reqs.filter((r) => !r.success)).toHaveLength(1);
    expect(reqs[17]!.error).toMatch(/Bad Request/);
    // Recomputing vLLM's figures from the converted arrays gives the numbers the file states.
    const s = benchSummary(reqs, { durationS: b.summary.duration });
    const file = raw(DETAILED);
    for (const k of ['mean_ttft_ms', 'median_ttft_ms', 'std_ttft_ms', 'p99_ttft_ms', 'mean_tpot_ms', 'p90_tpot_ms', 'mean_itl_ms', 'p99_itl_ms', 'median_e2el_ms', 'p99_e2el_ms']) {
      expect(s[k as `${string}_ms`], k).toBeCloseTo(file[k] as number, 6);
    }
    expect(s.total_output_tokens).toBe(file['total_output_tokens']);
    expect(s.total_input_tokens).toBe(file['total_input_tokens']);
    // start_times are absolute perf_counter values in the file; relative to the first here.
    expect(Math.min(...reqs.map((r) => r.startS))).toBe(0);
  });

  it('rejects a damaged file naming the key as a JSON pointer', () => {
    const bad = (patch: Record<string, unknown>): string => JSON.stringify({ ...raw(DETAILED), ...patch });
    const ttfts = [...(raw(DETAILED)['ttfts'] as number[])];
    ttfts[3] = 'x' as unknown as number;
    expect(() => parseBenchResult(bad({ ttfts }), 'b.json')).toThrow(/b\.json: \/ttfts\/3: expected a number, got "x"/);
    expect(() => parseBenchResult(bad({ itls: (raw(DETAILED)['itls'] as unknown[]).slice(1) }), 'b.json')).toThrow(/\/itls: expected 40 entries/);
    expect(() => parseBenchResult(bad({ completed: 40 }), 'b.json')).toThrow(/\/completed: the per-request arrays hold 39 successful requests/);
    expect(() => parseBenchResult(bad({ request_rate: 'fast' }), 'b.json')).toThrow(/\/request_rate: expected a number \(req\/s\) or "inf"/);
    expect(() => parseBenchResult(bad({ median_ttft_ms: '31' }), 'b.json')).toThrow(/\/median_ttft_ms: expected a number in ms/);
    expect(() => parseBenchResult('[1, 2]', 'b.json')).toThrow(/not a vllm bench serve result/);
  });
});

describe('validate --bench-result', () => {
  it('round-trips a detailed bench file: measured CDFs from its arrays, the file\'s own stats as measured', async () => {
    const out = tmp();
    const r = await runValidate(SCENARIO, { out, benchResult: DETAILED, report: true });
    expect(r.comparison.metrics['median_ttft_ms']!.measured).toBeCloseTo(raw(DETAILED)['median_ttft_ms'] as number, 9);
    expect(r.notes.filter((n) => /mean (input|output) length/.test(n))).toEqual([]); // same random dataset: lengths agree within 10 %
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportInput;
    const measured = report.runs.find((x) => x.label === 'bench result')!;
    const ttfts = (raw(DETAILED)['ttfts'] as number[]).filter((_, i) => i !== 17).map((s) => s * 1000);
    expect(measured.cdf.ttftMs.at(-1)!.valueMs).toBeCloseTo(Math.max(...ttfts), 9);
    expect(measured.cdf.ttftMs[0]!.valueMs).toBeCloseTo(Math.min(...ttfts), 9);
    // The ITL CDF pools every gap of every successful request.
    const gaps = (raw(DETAILED)['itls'] as number[][]).flat().length;
    expect(gaps).toBeGreaterThan(39 * 100);
    expect(measured.cdf.itlMs.at(-1)!.valueMs).toBeCloseTo(Math.max(...(raw(DETAILED)['itls'] as number[][]).flat()) * 1000, 9);
    const sim = JSON.parse(readFileSync(join(out, 'sim', 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect(sim).toMatchObject({ model_id: 'meta-llama/Llama-3.1-8B', num_prompts: 40, request_rate: 8, burstiness: 1, max_concurrency: null });
  }, 60_000);

  it('says when the file has no arrays, and still compares the stats', async () => {
    const r = await runValidate(SCENARIO, { out: tmp(), benchResult: BASIC, report: false });
    expect(r.notes.join('\n')).toMatch(/no per-request arrays .*--save-detailed/);
    expect(r.comparison.metrics['p99_itl_ms']!.measured).toBeCloseTo(raw(BASIC)['p99_itl_ms'] as number, 9);
  }, 60_000);

  it('refuses a bench result of other traffic before simulating, saying what to change', async () => {
    const out = tmp();
    await expect(runValidate(SCENARIO, { out, benchResult: BASIC, set: ['workload.arrival.rate=1.5'] })).rejects.toThrow(
      /vllm-bench-8qps\.json: \/request_rate: the bench result was run with request_rate 8, the scenario has 1\.5: pass --set workload\.arrival\.rate=8/,
    );
    expect(existsSync(join(out, 'sim', 'summary.json'))).toBe(false);
    await expect(runValidate(SCENARIO, { out, benchResult: BASIC, requests: 20 })).rejects.toThrow(/\/num_prompts: .* 40, the scenario has 20: pass --requests 40/);
    await expect(runValidate(SCENARIO, { out, benchResult: BASIC, set: ['workload.maxConcurrency=4'] })).rejects.toThrow(/\/max_concurrency: .*drop workload\.maxConcurrency/);
    const inf = join(out, 'inf.json');
    writeFileSync(inf, JSON.stringify({ ...raw(BASIC), request_rate: 'inf' }));
    await expect(runValidate(SCENARIO, { out, benchResult: inf })).rejects.toThrow(/set workload\.arrival\.process=all-at-once/);
  }, 60_000);

  it('warns about another model and other lengths, without refusing', async () => {
    const out = tmp();
    const other = join(out, 'other.json');
    writeFileSync(other, JSON.stringify({ ...raw(BASIC), model_id: 'Qwen/Qwen2.5-7B-Instruct' }));
    const r = await runValidate(SCENARIO, { out, benchResult: other, set: ['workload.output.value=300'], report: false });
    expect(r.notes.join('\n')).toMatch(/model "Qwen\/Qwen2.5-7B-Instruct", the scenario simulates llama-3.1-8b/);
    expect(r.notes.join('\n')).toMatch(/mean output length: the bench result 128\.\d tokens, the scenario 3\d\d\.\d/);
  }, 60_000);
});
