import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from './program.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'pdsim-cli-'));
const quick = path.resolve('scenarios/quickstart.yaml');

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('pdsim simulate (CLI)', () => {
  it('writes the four result files, and the same seed gives byte-identical summary.json and requests.jsonl', async () => {
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'b');
    const r1 = await cli(['simulate', quick, '--out', a, '--seed', '7', '--set', 'workload.requests=300', '--no-progress']);
    expect(r1.code).toBe(0);
    expect(r1.out).toMatch(/TTFT/);
    await cli(['simulate', quick, '--out', b, '--seed', '7', '--set', 'workload.requests=300', '--no-progress']);
    for (const f of ['summary.json', 'requests.jsonl', 'scenario.resolved.json', 'report.html']) expect(existsSync(path.join(a, f))).toBe(true);
    expect(readFileSync(path.join(a, 'summary.json'), 'utf8')).toBe(readFileSync(path.join(b, 'summary.json'), 'utf8'));
    expect(readFileSync(path.join(a, 'requests.jsonl'), 'utf8')).toBe(readFileSync(path.join(b, 'requests.jsonl'), 'utf8'));
    const s = JSON.parse(readFileSync(path.join(a, 'summary.json'), 'utf8')) as Record<string, unknown>;
    for (const k of ['completed', 'failed', 'duration', 'total_input_tokens', 'total_output_tokens', 'request_throughput', 'output_throughput', 'total_token_throughput', 'request_goodput']) expect(s).toHaveProperty(k);
    for (const m of ['ttft', 'tpot', 'itl', 'e2el']) for (const p of ['mean', 'median', 'p90', 'p99']) expect(typeof s[`${p}_${m}_ms`]).toBe('number');
    expect(s.completed).toBe(300);
    const lines = readFileSync(path.join(a, 'requests.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(300);
    // Conservation of tokens: the per-request records add up to the summary's totals.
    const recs = lines.map((l) => JSON.parse(l) as { promptTokens: number; outputTokens: number });
    expect(recs.reduce((x, r) => x + r.outputTokens, 0)).toBe(s.total_output_tokens);
    expect(recs.reduce((x, r) => x + r.promptTokens, 0)).toBe(s.total_input_tokens);
    const resolved = JSON.parse(readFileSync(path.join(a, 'scenario.resolved.json'), 'utf8')) as { seed: number; engine: { blockSize: number } };
    expect(resolved.seed).toBe(7);
    expect(resolved.engine.blockSize).toBe(16);
  }, 60_000); // two whole simulate runs: slow on a loaded machine, never a speed check

  it('--no-requests skips requests.jsonl and changes nothing else', async () => {
    const a = path.join(tmp, 'with');
    const b = path.join(tmp, 'without');
    const args = ['simulate', quick, '--seed', '3', '--set', 'workload.requests=200', '--no-progress', '--no-report'];
    expect((await cli([...args, '--out', a])).code).toBe(0);
    expect((await cli([...args, '--out', b, '--no-requests'])).code).toBe(0);
    expect(existsSync(path.join(a, 'requests.jsonl'))).toBe(true);
    expect(existsSync(path.join(b, 'requests.jsonl'))).toBe(false);
    expect(readFileSync(path.join(b, 'summary.json'), 'utf8')).toBe(readFileSync(path.join(a, 'summary.json'), 'utf8'));
  }, 60_000);

  it('exits 2 with one clear line and no stack trace for user errors', async () => {
    const bad = path.join(tmp, 'bad.yaml');
    writeFileSync(bad, readFileSync(quick, 'utf8').replace('gpu: h100-sxm', 'gpu: h100-sxn'));
    const r = await cli(['simulate', bad, '--out', path.join(tmp, 'c')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad.yaml: \/deployment\/pools\/0\/gpu \(line \d+\): unknown gpu id "h100-sxn".*did you mean "h100-sxm"/is);
    expect(r.err).not.toMatch(/at .*\.ts:\d+/);
    const big = path.join(tmp, 'big.yaml');
    writeFileSync(big, readFileSync(quick, 'utf8').replace('model: llama-3.1-8b', 'model: llama-3.1-70b'));
    const r2 = await cli(['simulate', big, '--out', path.join(tmp, 'd')]);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/llama-3.1-70b does not fit on h100-sxm at tp 1/);
  });

  it('monotonicity in load: a higher arrival rate never lowers mean TTFT or raises it', async () => {
    const ttft: number[] = [];
    for (const rate of [4, 16, 64]) {
      const dir = path.join(tmp, `rate${rate}`);
      await cli(['simulate', quick, '--out', dir, '--set', `workload.arrival.rate=${rate}`, '--set', 'workload.requests=400', '--no-progress']);
      ttft.push((JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { mean_ttft_ms: number }).mean_ttft_ms);
    }
    expect(ttft[1]!).toBeGreaterThanOrEqual(ttft[0]!);
    expect(ttft[2]!).toBeGreaterThan(ttft[1]!);
  }, 60_000);
});

describe('pdsim simulate --save-detailed (vllm bench serve arrays)', () => {
  it('writes per-request arrays in seconds whose stats are the summary\'s, readable as a bench result', async () => {
    const dir = path.join(tmp, 'detailed');
    const r = await cli(['simulate', quick, '--out', dir, '--set', 'workload.requests=200', '--set', 'workload.maxConcurrency=16', '--save-detailed', '--no-progress', '--no-report']);
    expect(r.code).toBe(0);
    const s = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect(s).toMatchObject({ backend: 'pdsim', label: 'quickstart', model_id: 'meta-llama/Llama-3.1-8B', num_prompts: 200, request_rate: 8, burstiness: 1, max_concurrency: 16 });
    expect(s['max_concurrent_requests']).toBeLessThanOrEqual(16);
    for (const k of ['input_lens', 'output_lens', 'ttfts', 'start_times', 'latencies', 'errors', 'queue_times']) expect((s[k] as unknown[]).length, k).toBe(200);
    const ttftsMs = (s['ttfts'] as number[]).map((x) => x * 1000).sort((a, b) => a - b);
    // numpy median of 200 values: the mean of the 100th and 101st.
    expect((ttftsMs[99]! + ttftsMs[100]!) / 2).toBeCloseTo(s['median_ttft_ms'] as number, 2);
    expect((s['output_lens'] as number[]).reduce((a, b) => a + b, 0)).toBe(s['total_output_tokens']);
    const { parseBenchResult } = await import('../../adapters/vllm/bench-result.js');
    const back = parseBenchResult(readFileSync(path.join(dir, 'summary.json'), 'utf8'), 'summary.json');
    expect(back.requests).toHaveLength(200);
    expect(back.info.max_concurrency).toBe(16);
  });
});
