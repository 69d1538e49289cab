import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeBackend } from '../../../adapters/server/fake-backend.js';
import { startSimServer, type SimServer } from '../../../adapters/server/server.js';
import { validateCommand, type ValidateCliOptions } from './validate.js';

let small: SimServer;
const KEY = 'sk-validate-secret';
const base = (o: Partial<ValidateCliOptions>): ValidateCliOptions => ({ set: [], api: 'completions', timeoutS: '5', speed: '1', report: false, requests: '3', ...o });
const tmp = (): string => mkdtempSync(join(tmpdir(), 'pdsim-validate-cli-'));

beforeAll(async () => {
  small = await startSimServer({ backend: createFakeBackend({ itlMs: 1 }), modelName: 'meta-llama/Llama-3.1-8B', maxModelLen: 64, apiKey: KEY });
});
afterAll(async () => small.close());

describe('pdsim validate (command)', () => {
  it('says clearly when the endpoint is unreachable', async () => {
    const srv = createServer();
    const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as AddressInfo).port)));
    await new Promise((r) => srv.close(r));
    await expect(validateCommand('scenarios/quickstart.yaml', base({ endpoint: `http://127.0.0.1:${port}`, out: tmp() }))).rejects.toThrow(/cannot reach .*connection refused/);
  });
  it('asks for an API key, then names the served models for a wrong --model', async () => {
    await expect(validateCommand('scenarios/quickstart.yaml', base({ endpoint: small.url, out: tmp() }))).rejects.toThrow(/API key/);
    await expect(validateCommand('scenarios/quickstart.yaml', base({ endpoint: small.url, out: tmp(), apiKey: KEY, model: 'meta-llama/Llama-3.1-8b' }))).rejects.toThrow(
      /does not serve model "meta-llama\/Llama-3.1-8b".*did you mean "meta-llama\/Llama-3.1-8B"/,
    );
  });
  it("refuses a scenario whose lengths exceed the server's max_model_len", async () => {
    await expect(validateCommand('scenarios/quickstart.yaml', base({ endpoint: small.url, out: tmp(), apiKey: KEY }))).rejects.toThrow(/more than the server's max_model_len 64/);
  });
  it('compares the simulation with a vllm bench serve result file', async () => {
    const out = tmp();
    const bench = join(out, 'bench.json');
    writeFileSync(bench, JSON.stringify({ completed: 3, failed: 0, duration: 1, total_input_tokens: 10, total_output_tokens: 10, request_throughput: 3, output_throughput: 10, total_token_throughput: 20, median_ttft_ms: 40, mean_tpot_ms: 12, num_prompts: 3 }));
    const r = await validateCommand('scenarios/quickstart.yaml', base({ benchResult: bench, out }));
    const c = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8')) as { metrics: Record<string, { measured: number | null }> };
    expect(c.metrics['median_ttft_ms']!.measured).toBe(40);
    expect(r.comparison.metrics['median_ttft_ms']!.predicted).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'sim', 'summary.json'), 'utf8')).toContain('median_ttft_ms');
  });
});
