/**
 * Test fixtures for the planner: a models directory (a copy of models/) with two made-up GPUs whose
 * iteration times are pure rooflines (no launch or CPU overhead), "fast" having exactly twice the
 * compute and memory bandwidth of "slow", and a scenario whose service is deterministic (constant
 * arrivals, fixed lengths, one sequence at a time), so the queueing is computable by hand.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { vi } from 'vitest';

export function knownModelsDir(): { modelsDir: string; scenario: string; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'pdsim-plan-'));
  const modelsDir = path.join(dir, 'models');
  cpSync('models', modelsDir, { recursive: true });
  const l4 = JSON.parse(readFileSync('models/gpu/l4.json', 'utf8')) as Record<string, any>; // a profile is free-form JSON here
  const perf = l4.perf as Record<string, Record<string, unknown>>;
  for (const k of ['gemm', 'attentionPrefill', 'attentionDecode', 'elementwise']) perf[k]!.launchUs = 0;
  perf.cpuOverhead = { baseMs: 0, perSeqMs: 0 };
  // Marked as fitted on whole engine iterations (src/perf/engine-setup.ts): the profile's own (zero)
  // step overhead is used and no vLLM front end is added, so iteration time stays a pure roofline.
  l4.provenance = { ...(l4.provenance ?? {}), fitted: ['cpuOverhead (whole iterations)'] };
  writeFileSync(path.join(modelsDir, 'gpu', 'slow.json'), JSON.stringify({ ...l4, id: 'slow', name: 'slow test GPU' }));
  writeFileSync(path.join(modelsDir, 'gpu', 'fast.json'), JSON.stringify({ ...l4, id: 'fast', name: 'fast test GPU (2x slow)', fp16Tflops: l4.fp16Tflops * 2, fp8Tflops: l4.fp8Tflops * 2, hbmBandwidthGBps: l4.hbmBandwidthGBps * 2 }));
  const scenario = path.join(dir, 'known.yaml');
  writeFileSync(scenario, `name: known
seed: 1
model: llama-3.1-8b
engine: { maxNumSeqs: 1, maxNumBatchedTokens: 1024, maxModelLen: 2048 }
deployment:
  pools: [{ role: colocated, gpu: slow, instances: 1, tp: 1 }]
workload:
  requests: 100
  arrival: { process: constant, rate: 1 }
  input: { dist: fixed, value: 1024 }
  output: { dist: fixed, value: 1 }
slo: { ttftMs: 1000 }
`);
  return { modelsDir, scenario, dir };
}

/** Runs f with stdout/stderr silenced (commands print tables and progress). */
export async function quiet<T>(f: () => Promise<T>): Promise<T> {
  const w1 = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const w2 = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return await f();
  } finally {
    w1.mockRestore();
    w2.mockRestore();
  }
}
