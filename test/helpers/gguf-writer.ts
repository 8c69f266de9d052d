import * as fs from 'node:fs';

/**
 * A minimal GGUF v3 writer (the file format llama.cpp loads): metadata key/values, then
 * tensor descriptions, then the tensors' bytes, each aligned. Only what a test model needs:
 * scalar, string and array values and F32 tensors.
 * Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
 */
export type GgufValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'f32[]'; value: readonly number[] }
  | { type: 'i32[]'; value: readonly number[] };

export interface GgufTensor {
  name: string;
  /** ggml order: dims[0] is the fastest-varying (a row's length). */
  dims: readonly number[];
  data: Float32Array;
}

const ALIGNMENT = 32;
const T = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9 } as const;
const GGML_F32 = 0;

class Out {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
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
  pad(): void {
    const extra = (ALIGNMENT - (this.length % ALIGNMENT)) % ALIGNMENT;
    if (extra > 0) this.push(Buffer.alloc(extra));
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeValue(out: Out, v: GgufValue): void {
  switch (v.type) {
    case 'u32':
      out.u32(T.u32);
      out.u32(v.value);
      return;
    case 'i32':
      out.u32(T.i32);
      out.i32(v.value);
      return;
    case 'f32':
      out.u32(T.f32);
      out.f32(v.value);
      return;
    case 'bool':
      out.u32(T.bool);
      out.push(Buffer.from([v.value ? 1 : 0]));
      return;
    case 'string':
      out.u32(T.string);
      out.str(v.value);
      return;
    case 'string[]':
      out.u32(T.array);
      out.u32(T.string);
      out.u64(v.value.length);
      for (const s of v.value) out.str(s);
      return;
    case 'f32[]':
      out.u32(T.array);
      out.u32(T.f32);
      out.u64(v.value.length);
      for (const n of v.value) out.f32(n);
      return;
    case 'i32[]':
      out.u32(T.array);
      out.u32(T.i32);
      out.u64(v.value.length);
      for (const n of v.value) out.i32(n);
      return;
  }
}

export function encodeGguf(metadata: ReadonlyArray<[string, GgufValue]>, tensors: readonly GgufTensor[]): Buffer {
  const out = new Out();
  out.push(Buffer.from('GGUF', 'ascii'));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.length);
  for (const [key, value] of metadata) {
    out.str(key);
    writeValue(out, value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    const elements = t.dims.reduce((a, b) => a * b, 1);
    if (elements !== t.data.length) throw new Error(`tensor ${t.name}: dims hold ${elements} values, data ${t.data.length}`);
    offsets.push(offset);
    offset += Math.ceil((t.data.length * 4) / ALIGNMENT) * ALIGNMENT;
  }
  tensors.forEach((t, i) => {
    out.str(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(GGML_F32);
    out.u64(offsets[i]);
  });
  out.pad();
  for (const t of tensors) {
    out.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    out.pad();
  }
  return out.bytes();
}

export function writeGguf(file: string, metadata: ReadonlyArray<[string, GgufValue]>, tensors: readonly GgufTensor[]): void {
  fs.writeFileSync(file, encodeGguf(metadata, tensors));
}
