import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.js';
import { batchDefaults, engineBehaviour, NEWEST_MODELLED_VERSION, parseVllmVersion } from './vllm-version.js';

const h100 = { name: 'NVIDIA H100 SXM5 80GB', memGiB: 79.2, computeCapability: '9.0' };
const a100 = { name: 'NVIDIA A100 SXM4 80GB', memGiB: 79.2, computeCapability: '8.0' };
const l4 = { name: 'NVIDIA L4 (24 GB)', memGiB: 22, computeCapability: '8.9' };
const t4 = { name: 'NVIDIA T4', memGiB: 15, computeCapability: '7.5' };

describe('parseVllmVersion', () => {
  it('accepts release, post, rc and local suffixes', () => {
    expect(parseVllmVersion('0.6.6.post1').text).toBe('0.6.6');
    expect(parseVllmVersion('v0.8.0rc2').text).toBe('0.8.0');
    expect(parseVllmVersion('0.11.0+cu128').text).toBe('0.11.0');
    expect(parseVllmVersion('0.10').text).toBe('0.10.0');
    expect(parseVllmVersion('0.10.1.1').text).toBe('0.10.1');
  });
  it('rejects malformed versions with a UserError naming the field', () => {
    expect(() => parseVllmVersion('latest')).toThrow(UserError);
    expect(() => parseVllmVersion('0.x', '/engine/vllmVersion')).toThrow(/\/engine\/vllmVersion: "0.x" is not a vLLM version/);
    expect(() => engineBehaviour('0.1.0', h100)).toThrow(/older than the oldest modelled/);
  });
});

describe('engineBehaviour (sheet 1.1, 1.6, 1.8, 6)', () => {
  it('maps versions to engine generations, with Turing on V0 until 0.11', () => {
    expect(engineBehaviour('0.5.4', h100).generation).toBe('v0');
    expect(engineBehaviour('0.7.3', h100).generation).toBe('v0');
    expect(engineBehaviour('0.8.0', h100).generation).toBe('v1');
    const turing = engineBehaviour('0.9.2', t4);
    expect(turing.generation).toBe('v0');
    expect(turing.attentionBackend).toBe('XFORMERS');
    expect(turing.notes.join()).toMatch(/V0 engine/);
    expect(engineBehaviour('0.11.0', t4)).toMatchObject({ generation: 'v1', attentionBackend: 'FLASHINFER' });
    expect(engineBehaviour('0.23.0', t4).attentionBackend).toBe('FLASHINFER');
    expect(engineBehaviour('0.24.0', t4).attentionBackend).toBe('TRITON_ATTN');
  });
  it('defaults: async scheduling from 0.14, async output processing in V0 from 0.6, utilization 0.92 from 0.25, prefix caching in V1', () => {
    expect(engineBehaviour('0.13.0', h100).asyncScheduling).toBe(false);
    expect(engineBehaviour('0.14.0', h100).asyncScheduling).toBe(true);
    expect(engineBehaviour('0.5.4', h100).asyncOutputProcessing).toBe(false);
    expect(engineBehaviour('0.6.3', h100).asyncOutputProcessing).toBe(true);
    expect(engineBehaviour('0.24.0', h100).gpuMemoryUtilization).toBe(0.9);
    expect(engineBehaviour('0.25.0', h100).gpuMemoryUtilization).toBe(0.92);
    expect(engineBehaviour('0.6.3', h100).prefixCaching).toBe(false);
    expect(engineBehaviour('0.8.0', h100).prefixCaching).toBe(true);
    // V0 chunked prefill: off, auto-on above 32K context (PR #6666, 0.5.4 on).
    expect(engineBehaviour('0.6.3', h100).chunkedPrefill(8192)).toBe(false);
    expect(engineBehaviour('0.6.3', h100).chunkedPrefill(131072)).toBe(true);
  });
  it('FlashAttention 3 on Hopper from 0.6.6, FA2 on Ampere/Ada', () => {
    expect(engineBehaviour('0.11.0', h100).flashAttentionVersion).toBe(3);
    expect(engineBehaviour('0.6.3', h100).flashAttentionVersion).toBe(2);
    expect(engineBehaviour('0.11.0', l4).flashAttentionVersion).toBe(2);
  });
  it('maps a version newer than modelled to the newest, with a note; the default is the newest', () => {
    const b = engineBehaviour('1.2.0', h100);
    expect(b.version.text).toBe(NEWEST_MODELLED_VERSION);
    expect(b.notes.join()).toMatch(/newer than the newest modelled/);
    expect(engineBehaviour(undefined, h100).version.text).toBe(NEWEST_MODELLED_VERSION);
  });
});

describe('batchDefaults (sheet 1.2)', () => {
  const v1 = engineBehaviour('0.11.0', h100);
  it('V1: by GPU size (A100 excluded) and usage context', () => {
    expect(batchDefaults(v1, h100, 'serve', 8192, true)).toEqual({ maxNumBatchedTokens: 8192, maxNumSeqs: 1024 });
    expect(batchDefaults(v1, h100, 'offline', 8192, true)).toEqual({ maxNumBatchedTokens: 16384, maxNumSeqs: 1024 });
    expect(batchDefaults(v1, a100, 'serve', 8192, true)).toEqual({ maxNumBatchedTokens: 2048, maxNumSeqs: 256 });
    expect(batchDefaults(v1, l4, 'offline', 8192, true)).toEqual({ maxNumBatchedTokens: 8192, maxNumSeqs: 256 });
    // Chunked prefill off: at least max_model_len; capped at max_num_seqs x max_model_len.
    expect(batchDefaults(v1, l4, 'serve', 32768, false).maxNumBatchedTokens).toBe(32768);
    expect(batchDefaults(v1, l4, 'serve', 4, true, 2).maxNumBatchedTokens).toBe(8);
  });
  it('V0: max(max_model_len, 2048) without chunked prefill, 2048 with it, 256 sequences', () => {
    const v0 = engineBehaviour('0.6.3', h100);
    expect(batchDefaults(v0, h100, 'serve', 1024, false)).toEqual({ maxNumBatchedTokens: 2048, maxNumSeqs: 256 });
    expect(batchDefaults(v0, h100, 'offline', 8192, false)).toEqual({ maxNumBatchedTokens: 8192, maxNumSeqs: 256 });
    expect(batchDefaults(v0, h100, 'offline', 131072, true)).toEqual({ maxNumBatchedTokens: 2048, maxNumSeqs: 256 });
  });
});
