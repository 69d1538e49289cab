import { describe, expect, it } from 'vitest';
import { loadGpu } from '../model/catalog.js';
import { engineSetup } from './engine-setup.js';
import { V0_ASYNC_OUTPUT_OVERHEAD, V1_ASYNC_OVERHEAD } from './step-overhead.js';

describe('engineSetup', () => {
  it('takes the step overhead and front end from the vLLM version', () => {
    const h100 = loadGpu('h100-sxm');
    expect(engineSetup({ gpu: h100, vllmVersion: '0.6.3' })).toMatchObject({ regime: 'v0-async-output', overhead: V0_ASYNC_OUTPUT_OVERHEAD, frontEnd: { perTokenFraction: 0.06 } });
    expect(engineSetup({ gpu: h100 })).toMatchObject({ regime: 'v1-async', overhead: V1_ASYNC_OVERHEAD, frontEnd: { perTokenFraction: 0 } });
    expect(engineSetup({ gpu: h100, vllmVersion: '0.14.0', asyncScheduling: false }).regime).toBe('v1');
  });
  it('a device profile fitted on a live engine\'s whole iterations (llama.cpp) keeps that engine\'s own overhead and no vLLM front end', () => {
    const cpu = loadGpu('llamacpp-cpu-1t');
    const s = engineSetup({ gpu: cpu });
    expect(s.regime).toBe('profile');
    expect(s.overhead).toEqual({ baseMs: cpu.perf.cpuOverhead.baseMs, perSeqMs: cpu.perf.cpuOverhead.perSeqMs, tpMs: 0 });
    expect(s.frontEnd).toEqual({ requestMs: 0, perTokenFraction: 0 });
  });
});
