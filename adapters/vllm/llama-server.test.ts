/**
 * What `validate` reads from llama.cpp's own `llama-server`: no max_model_len in /v1/models and no
 * /version (both from GET /props instead), and its `llamacpp:` metric names. No llama-server binary
 * is available here (node-llama-cpp ships libraries only), so a stand-in answers with the shapes and
 * names llama.cpp documents (tools/server/README.md: GET /props, GET /metrics).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsDelta, snapshot } from './metrics-scrape.js';
import { probeServer, scrapeMetrics } from './probe.js';

const metricsText = (prompt: number, predicted: number, decodes: number): string => `# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.
# TYPE llamacpp:prompt_tokens_total counter
llamacpp:prompt_tokens_total ${prompt}
# TYPE llamacpp:prompt_seconds_total counter
llamacpp:prompt_seconds_total ${prompt / 1000}
# TYPE llamacpp:tokens_predicted_total counter
llamacpp:tokens_predicted_total ${predicted}
# TYPE llamacpp:tokens_predicted_seconds_total counter
llamacpp:tokens_predicted_seconds_total ${predicted / 50}
# TYPE llamacpp:n_decode_total counter
llamacpp:n_decode_total ${decodes}
# TYPE llamacpp:prompt_tokens_seconds gauge
llamacpp:prompt_tokens_seconds 1000
# TYPE llamacpp:kv_cache_usage_ratio gauge
llamacpp:kv_cache_usage_ratio 0.125
# TYPE llamacpp:requests_processing gauge
llamacpp:requests_processing 2
# TYPE llamacpp:requests_deferred gauge
llamacpp:requests_deferred 1
`;

let server: Server;
let base = '';
let scrapes = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/v1/models') return json(200, { object: 'list', data: [{ id: 'tiny.gguf', object: 'model', owned_by: 'llamacpp', meta: { n_ctx_train: 4096 } }] });
    if (req.url === '/props') return json(200, { default_generation_settings: { n_ctx: 1024 }, total_slots: 4, build_info: 'b6000-abc123' });
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(scrapes++ === 0 ? metricsText(100, 20, 30) : metricsText(1100, 420, 450));
    }
    json(404, { error: { code: 404, message: 'File Not Found', type: 'not_found_error' } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('validate against llama-server', () => {
  it('takes the context per slot and the build from /props when /v1/models and /version lack them', async () => {
    const info = await probeServer(base, {});
    expect(info).toEqual({ baseUrl: base, model: 'tiny.gguf', maxModelLen: 1024, version: 'llama.cpp b6000-abc123' });
  });

  it('reads llamacpp: counters and gauges into the metrics delta', async () => {
    const before = (await scrapeMetrics(base))!;
    const after = (await scrapeMetrics(base))!;
    const d = metricsDelta(before, after);
    expect(d).toMatchObject({
      promptTokens: 1000,
      generationTokens: 400,
      engineSteps: 420,
      kvCacheUsagePercAfter: 0.125,
      preemptions: null,
      histograms: {},
    });
    expect(d.enginePromptSeconds).toBeCloseTo(1, 9);
    expect(d.engineGenerationSeconds).toBeCloseTo(8, 9);
  });

  it('the throughput gauge llamacpp:prompt_tokens_seconds is not mistaken for the prompt token counter', () => {
    const s = snapshot('llamacpp:prompt_tokens_seconds 999\n');
    expect(metricsDelta(s, s).promptTokens).toBeNull();
  });
});
