import { describe, expect, it } from 'vitest';
import { versionMismatch } from './validate-run.js';

describe('validate: live server version vs engine.vllmVersion', () => {
  it('warns when the server runs another vLLM version, naming both and the flag to fix it', () => {
    const w = versionMismatch('0.10.1.1', '0.30.0');
    expect(w).toMatch(/server runs vLLM 0\.10\.1\.1 but the scenario predicts vLLM 0\.30\.0/);
    expect(w).toMatch(/--vllm-version 0\.10\.1/);
  });
  it('is silent when they agree (suffixes aside) or when either is unknown or not a vLLM version', () => {
    expect(versionMismatch('0.11.0+cu128', '0.11.0')).toBeUndefined();
    expect(versionMismatch(null, '0.11.0')).toBeUndefined();
    expect(versionMismatch('pdsim 1.0', '0.11.0')).toBeUndefined();
  });
});
