import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GGML_TYPE, GGUF_ALIGNMENT, writeGguf } from './gguf-writer.js';
import { ggufContent, parameterCount, TEST_MODELS, toHalfBits, vocabulary } from './test-models.js';

const dir = mkdtempSync(join(tmpdir(), 'pdsim-gguf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads a GGUF header back by hand, independently of the writer (ggml docs/gguf.md). */
function readHeader(buf: Buffer) {
  let p = 0;
  const u32 = () => ((p += 4), buf.readUInt32LE(p - 4));
  const u64 = () => ((p += 8), Number(buf.readBigUInt64LE(p - 8)));
  const str = () => {
    const n = u64();
    p += n;
    return buf.toString('utf8', p - n, p);
  };
  const magic = buf.toString('ascii', 0, 4);
  p = 4;
  const version = u32();
  const nTensors = u64();
  const nKv = u64();
  const kv: Record<string, unknown> = {};
  for (let i = 0; i < nKv; i++) {
    const key = str();
    const type = u32();
    if (type === 4) kv[key] = u32();
    else if (type === 8) kv[key] = str();
    else if (type === 6) kv[key] = ((p += 4), buf.readFloatLE(p - 4));
    else if (type === 7) kv[key] = buf[p++] === 1;
    else throw new Error(`type ${type} not read by this test`);
  }
  const tensors: { name: string; dims: number[]; type: number; offset: number }[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str();
    const nd = u32();
    const dims = Array.from({ length: nd }, u64);
    tensors.push({ name, dims, type: u32(), offset: u64() });
  }
  return { magic, version, kv, tensors, dataStart: Math.ceil(p / GGUF_ALIGNMENT) * GGUF_ALIGNMENT };
}

describe('GGUF v3 writer', () => {
  it('writes the header, metadata, aligned tensor offsets and every tensor byte', () => {
    const file = join(dir, 'tiny.gguf');
    const a = new Float32Array([1, 2, 3]);
    const size = writeGguf(
      file,
      [
        ['general.architecture', { string: 'llama' }],
        ['llama.block_count', { u32: 2 }],
        ['x.eps', { f32: 0.5 }],
        ['x.flag', { bool: true }],
      ],
      [
        { name: 'a', dims: [3], type: GGML_TYPE.F32, fill: (e) => e(new Uint8Array(a.buffer)) },
        { name: 'b', dims: [5, 2], type: GGML_TYPE.F16, fill: (e) => e(new Uint8Array(new Uint16Array(10).fill(0x3c00).buffer)) },
      ],
    );
    const buf = readFileSync(file);
    expect(buf.length).toBe(size);
    const h = readHeader(buf);
    expect([h.magic, h.version]).toEqual(['GGUF', 3]);
    expect(h.kv).toEqual({ 'general.architecture': 'llama', 'llama.block_count': 2, 'x.eps': 0.5, 'x.flag': true });
    expect(h.tensors.map((t) => [t.name, t.dims, t.type, t.offset])).toEqual([
      ['a', [3], 0, 0],
      ['b', [5, 2], 1, 32], // 12 bytes of a, padded to the 32-byte alignment
    ]);
    expect(buf.readFloatLE(h.dataStart + 8)).toBe(3);
    expect(buf.readUInt16LE(h.dataStart + 32 + 18)).toBe(0x3c00); // the last f16 of b is 1.0
    expect(size).toBe(h.dataStart + 32 + 32);
  });

  it('rejects a tensor whose fill writes the wrong number of bytes', () => {
    expect(() => writeGguf(join(dir, 'bad.gguf'), [], [{ name: 'x', dims: [4], type: GGML_TYPE.F32, fill: (e) => e(new Uint8Array(8)) }])).toThrow(/wrote 8 bytes, expected 16/);
  });
});

describe('test models', () => {
  it('fp16 conversion matches known half-precision bit patterns', () => {
    expect([toHalfBits(1), toHalfBits(-2), toHalfBits(0.5), toHalfBits(0.02)]).toEqual([0x3c00, 0xc000, 0x3800, 0x251f]);
  });

  it('vocabulary: control, byte and word tokens, all distinct, 32k of them', () => {
    const v = vocabulary(32000);
    expect(v.tokens.length).toBe(32000);
    expect(new Set(v.tokens).size).toBe(32000);
    expect(v.tokens.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>']);
    expect([v.types[0], v.types[1], v.types[3], v.types[259]]).toEqual([2, 3, 6, 1]);
  });

  it('tensor shapes add up to the parameter count of the llm entry geometry', () => {
    for (const spec of Object.values(TEST_MODELS)) {
      const { tensors } = ggufContent(spec);
      const params = tensors.reduce((acc, t) => acc + t.dims.reduce((a, b) => a * b, 1), 0);
      expect(params).toBe(parameterCount(spec));
      expect(tensors.length).toBe(2 + 9 * spec.layers);
    }
    // Hand count for the small one: 32000 x 512 embeddings + 6 x (4 x 512^2 + 3 x 512 x 1408 + 2 x 512) + 512.
    expect(parameterCount(TEST_MODELS['llama-test-6l-512']!)).toBe(32000 * 512 + 6 * (4 * 512 * 512 + 3 * 512 * 1408 + 1024) + 512);
  });
});
