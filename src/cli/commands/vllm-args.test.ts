import { describe, expect, it } from 'vitest';
import { vllmArgsCommand } from './vllm-args.js';

describe('pdsim vllm-args', () => {
  it('prints a colocated vllm serve line with the scenario engine knobs', () => {
    const out = vllmArgsCommand('scenarios/quickstart.yaml', { set: [], host: '127.0.0.1', basePort: '8100' });
    expect(out).toMatch(/^CUDA_VISIBLE_DEVICES=0 vllm serve meta-llama\/Llama-3\.1-8B --port 8100 --tensor-parallel-size 1 --max-num-seqs 256 --max-num-batched-tokens 8192 --gpu-memory-utilization 0\.9 --block-size 16 --enable-chunked-prefill --enable-prefix-caching --max-model-len 16384 --async-scheduling &$/m);
    expect(out).toContain('pdsim validate scenarios/quickstart.yaml --endpoint http://127.0.0.1:8100 --calibrate-capacity');
    expect(out).not.toContain('NixlConnector');
  });
  it('prints P/D lines with NIXL, distinct GPUs and side-channel ports, and a proxy', () => {
    const out = vllmArgsCommand('scenarios/dual-l4-disagg.yaml', { set: [], host: '10.0.0.5', basePort: '8100' });
    expect(out).toMatch(/CUDA_VISIBLE_DEVICES=0 VLLM_NIXL_SIDE_CHANNEL_PORT=5600 vllm serve .* --kv-transfer-config '\{"kv_connector":"NixlConnector","kv_role":"kv_both"\}' &/);
    expect(out).toMatch(/CUDA_VISIBLE_DEVICES=1 VLLM_NIXL_SIDE_CHANNEL_PORT=5601 vllm serve .*--port 8101/);
    expect(out).toContain('pdsim proxy --prefill http://10.0.0.5:8100 --decode http://10.0.0.5:8101 --port 8000');
    expect(out).toContain('--endpoint http://10.0.0.5:8000');
  });
  it('rejects a bad base port', () => {
    expect(() => vllmArgsCommand('scenarios/quickstart.yaml', { set: [], host: 'h', basePort: 'x' })).toThrow(/--base-port/);
  });
});
