/**
 * A minimal GGUF v3 writer: metadata key/values and tensors (F32, F16), streamed to a file so a
 * few hundred MB of weights never sit in memory at once. Only what test models need.
 *
 * Layout (ggml docs/gguf.md, "File Structure"): magic "GGUF", version u32 = 3, tensor count u64,
 * metadata count u64, metadata (key string, value type u32, value), tensor infos (name, n_dims u32,
 * dims u64[] innermost first, ggml type u32, offset u64 from the data section), padding to
 * `general.alignment` (default 32), then each tensor's data at its aligned offset.
 * Strings are a u64 byte length then UTF-8 bytes; everything is little-endian.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export const GGUF_ALIGNMENT = 32;

/** gguf_metadata_value_type. */
const T = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9 } as const;
/** ggml_type of the tensors written here. */
export const GGML_TYPE = { F32: 0, F16: 1 } as const;

export type GgufValue =
  | { u32: number }
  | { i32: number }
  | { f32: number }
  | { bool: boolean }
  | { string: string }
  | { strings: readonly string[] }
  | { f32s: Float32Array }
  | { i32s: Int32Array };

export interface GgufTensor {
  name: string;
  /** Innermost (contiguous) dimension first, as ggml's ne[]. */
  dims: readonly number[];
  type: (typeof GGML_TYPE)[keyof typeof GGML_TYPE];
  /** Writes the tensor's bytes (elements x 2 or 4) in chunks through `emit`. */
  fill(emit: (chunk: Uint8Array) => void): void;
}

/** Appends little-endian fields to a growing buffer (the header is a few MB at most: the vocab). */
class HeaderBuf {
  private parts: Buffer[] = [];
  length = 0;
  private push(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  raw(b: Buffer): void {
    this.push(b);
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function writeValue(h: HeaderBuf, v: GgufValue): void {
  if ('u32' in v) (h.u32(T.u32), h.u32(v.u32));
  else if ('i32' in v) (h.u32(T.i32), h.i32(v.i32));
  else if ('f32' in v) (h.u32(T.f32), h.f32(v.f32));
  else if ('bool' in v) (h.u32(T.bool), h.raw(Buffer.from([v.bool ? 1 : 0])));
  else if ('string' in v) (h.u32(T.string), h.str(v.string));
  else if ('strings' in v) {
    h.u32(T.array);
    h.u32(T.string);
    h.u64(v.strings.length);
    for (const s of v.strings) h.str(s);
  } else if ('f32s' in v) {
    h.u32(T.array);
    h.u32(T.f32);
    h.u64(v.f32s.length);
    h.raw(Buffer.from(v.f32s.buffer, v.f32s.byteOffset, v.f32s.byteLength));
  } else {
    h.u32(T.array);
    h.u32(T.i32);
    h.u64(v.i32s.length);
    h.raw(Buffer.from(v.i32s.buffer, v.i32s.byteOffset, v.i32s.byteLength));
  }
}

export function tensorBytes(t: Pick<GgufTensor, 'dims' | 'type'>): number {
  return t.dims.reduce((a, b) => a * b, 1) * (t.type === GGML_TYPE.F16 ? 2 : 4);
}

const align = (n: number): number => Math.ceil(n / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;

/** Writes a GGUF v3 file; returns its size in bytes. */
export function writeGguf(path: string, metadata: readonly (readonly [string, GgufValue])[], tensors: readonly GgufTensor[]): number {
  const h = new HeaderBuf();
  h.raw(Buffer.from('GGUF', 'ascii'));
  h.u32(3);
  h.u64(tensors.length);
  h.u64(metadata.length);
  for (const [k, v] of metadata) {
    h.str(k);
    writeValue(h, v);
  }
  let offset = 0;
  for (const t of tensors) {
    h.str(t.name);
    h.u32(t.dims.length);
    for (const d of t.dims) h.u64(d);
    h.u32(t.type);
    h.u64(offset);
    offset = align(offset + tensorBytes(t));
  }
  const header = h.bytes();
  const fd = openSync(path, 'w');
  try {
    let pos = 0;
    const emit = (b: Uint8Array): void => {
      writeSync(fd, b);
      pos += b.length;
    };
    emit(header);
    emit(new Uint8Array(align(pos) - pos));
    const dataStart = pos;
    for (const t of tensors) {
      const start = pos;
      t.fill(emit);
      if (pos - start !== tensorBytes(t)) throw new Error(`tensor ${t.name}: wrote ${pos - start} bytes, expected ${tensorBytes(t)}`);
      emit(new Uint8Array(align(pos - dataStart) - (pos - dataStart)));
    }
    return pos;
  } finally {
    closeSync(fd);
  }
}
