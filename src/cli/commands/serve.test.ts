import { describe, expect, it } from 'vitest';
import { UserError } from '../../errors.js';
import { serveCommand, type ServeCliOptions } from './serve.js';

const base: ServeCliOptions = {
  host: '127.0.0.1', port: '0', speed: '1', set: [], maxBodyBytes: '1048576', failPct: '0', stallPct: '0', resetPct: '0', breakPct: '0',
  faultSeed: '0', kvPullGbps: '25', quiet: true,
};

describe('pdsim serve (command)', () => {
  it('serves the scenario model with its max_model_len and KV capacity on loopback', async () => {
    const s = await serveCommand('scenarios/quickstart.yaml', base);
    try {
      expect(s.host).toBe('127.0.0.1');
      const models = (await (await fetch(s.url + '/v1/models')).json()) as { data: { id: string; max_model_len: number }[] };
      expect(models.data[0]).toMatchObject({ id: 'meta-llama/Llama-3.1-8B', max_model_len: 16384 });
      const metrics = await (await fetch(s.url + '/metrics')).text();
      expect(metrics).toMatch(/^vllm:cache_config_info\{.*block_size="16",num_gpu_blocks="\d+".*\} 1$/m);
    } finally {
      await s.close();
    }
  });
  it('reports bad flags and a busy port as user errors', async () => {
    await expect(serveCommand('scenarios/quickstart.yaml', { ...base, failPct: '150' })).rejects.toThrow(/percentage|fail/);
    await expect(serveCommand('scenarios/quickstart.yaml', { ...base, speed: '-1' })).rejects.toThrow(UserError);
    const a = await serveCommand('scenarios/quickstart.yaml', base);
    try {
      await expect(serveCommand('scenarios/quickstart.yaml', { ...base, port: String(a.port) })).rejects.toThrow(/already in use/);
    } finally {
      await a.close();
    }
  });
});
