import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.js';
import { parseCsv } from './csv.js';
import { parseSourceText, readSource, sha256Hex } from './sources.js';

const fx = (name: string) => join(fileURLToPath(new URL('./fixtures/', import.meta.url)), name);

describe('csv', () => {
  it('splits quoted fields', () => {
    const t = parseCsv('a,b\n"x,1","say ""hi"""\n', 'f.csv');
    expect(t.rows[0]!.cells).toEqual(['x,1', 'say "hi"']);
    expect(t.rows[0]!.line).toBe(2);
  });
  it('names file, line and column of a short row', () => {
    expect(() => readSource(fx('short_row.csv'))).toThrow(/short_row\.csv: line 3, column 9: expected 10 fields as in the header, found 8/);
  });
  it('names file, line and column of a bad number', () => {
    let err: unknown;
    try {
      readSource(fx('bad_number.csv'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/bad_number\.csv: line 3, column 5 \(k\): expected a number, found "abc"/);
  });
  it('refuses a foreign CSV, listing the formats it knows', () => {
    expect(() => readSource(fx('foreign.csv'))).toThrow(/foreign\.csv: line 1: unrecognised CSV .*expected one of: pdsim-profile, vidur-mlp/);
  });
});

describe('format detection and parsing', () => {
  it('vidur mlp.csv: names the model after its folder, averages a duplicated point, derives GEMM shapes', () => {
    const s = readSource(fx('vidur/Tiny-Llama/mlp.csv'));
    expect(s.sources[0]!.format).toBe('vidur-mlp');
    expect(s.layers).toHaveLength(3);
    const at512 = s.layers.find((l) => l.tokens === 512 && l.tp === 1)!;
    expect(at512.model.name).toBe('Tiny-Llama');
    expect(at512.opsMs.mlp_up_proj).toBeCloseTo(0.112, 12);
  });
  it('aiconfigurator tables keep 16-bit rows and convert units', () => {
    expect(readSource(fx('aic_context_attention.csv')).prefill).toEqual([
      { batch: 1, seqLen: 512, qHeads: 8, kvHeads: 2, headDim: 128, ms: 0.05 },
      { batch: 2, seqLen: 1024, qHeads: 8, kvHeads: 2, headDim: 128, ms: 0.31 },
    ]);
    // step = KV length - 1
    expect(readSource(fx('aic_generation_attention.csv')).decode.map((d) => d.kvLen)).toEqual([1, 1024]);
    expect(readSource(fx('aic_gemm.csv')).gemm).toHaveLength(2);
    // message_size counts 16-bit elements; only all_reduce rows
    expect(readSource(fx('aic_nccl.csv')).allReduce).toEqual([{ gpus: 2, bytes: 2048, ms: 0.012 }]);
  });
  it('vidur all-reduce keeps single-node rows; CPU overhead sums the per-iteration parts', () => {
    expect(readSource(fx('vidur_all_reduce.csv')).allReduce).toEqual([
      { gpus: 2, bytes: 2048, ms: 0.011 },
      { gpus: 2, bytes: 1048576, ms: 0.024 },
    ]);
    const cpu = readSource(fx('vidur_cpu_overheads.csv')).cpu;
    expect(cpu[0]).toMatchObject({ model: 'meta-llama/Llama-2-7b-hf', batch: 8, tp: 1 });
    expect(cpu[0]!.ms).toBeCloseTo(0.2 + 0.5 + 0.7 + 0.1, 12);
  });
  it('pdsim profiler format: every op kind, 16-bit only for the model, provenance hash', () => {
    const s = readSource(fx('pdsim_profile.csv'));
    expect(s.sources[0]!.format).toBe('pdsim-profile');
    expect(s.sources[0]!.sha256).toBe(sha256Hex(readFileSync(fx('pdsim_profile.csv'), 'utf8')));
    expect(s.gemm).toEqual([{ m: 128, n: 4096, k: 4096, ms: 0.031 }]);
    expect(s.prefill).toHaveLength(1);
    expect(s.decode).toEqual([{ batch: 32, kvLen: 1024, qHeads: 32, kvHeads: 8, headDim: 128, ms: 0.045 }]);
    expect(s.copies.map((c) => `${c.kind}:${c.pinned}`)).toEqual(['h2d:true', 'h2d:false', 'd2h:true', 'bidir:true', 'd2d:false']);
    expect(s.allReduce).toEqual([{ gpus: 2, bytes: 8388608, ms: 0.061 }]);
  });
  it('rejects an unknown op with its line and column', () => {
    const text = readFileSync(fx('pdsim_profile.csv'), 'utf8') + 'matmul,bfloat16,1,1,1,,,,,,,,,,0.1\n';
    expect(() => parseSourceTextFor(text)).toThrow(/x\.csv: line 12, column 1 \(op\): unknown op "matmul"/);
  });
});

function parseSourceTextFor(text: string) {
  return parseSourceText(text, 'x.csv');
}
