/**
 * A minimal GGUF (version 3) writer, after ggml's `docs/gguf.md`: enough to write small F32 models
 * for tests of the in-process `llama` backend, so its real loading and generation path runs in CI
 * without downloading a model.
 *
 * Layout (little-endian throughout):
 *   magic "GGUF" · uint32 version (3) · uint64 tensor count · uint64 metadata KV count
 *   metadata KVs: string key · uint32 value type · value
 *   tensor infos: string name · uint32 n_dims · uint64 ne[n_dims] · uint32 ggml type · uint64 offset
 *   padding to `general.alignment` · tensor data, each tensor at its offset (a multiple of the alignment)
 * where a string is a uint64 byte length and UTF-8 bytes, and an array is uint32 item type · uint64 count · items.
 */

import { writeFile } from "node:fs/promises";
import { endianness } from "node:os";

/** Metadata value types (`gguf_metadata_value_type`). */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

export type GgufScalarType = Exclude<keyof typeof GgufValueType, "ARRAY">;

export type GgufValue =
  | { type: GgufScalarType; value: number | bigint | boolean | string }
  | { type: "ARRAY"; itemType: GgufScalarType; values: ReadonlyArray<number | bigint | boolean | string> };

/** Value constructors, so metadata reads like `{ "llama.block_count": u32(2) }`. */
export const u32 = (value: number): GgufValue => ({ type: "UINT32", value });
export const i32 = (value: number): GgufValue => ({ type: "INT32", value });
export const u64 = (value: number | bigint): GgufValue => ({ type: "UINT64", value });
export const f32 = (value: number): GgufValue => ({ type: "FLOAT32", value });
export const bool = (value: boolean): GgufValue => ({ type: "BOOL", value });
export const str = (value: string): GgufValue => ({ type: "STRING", value });
export const arr = (itemType: GgufScalarType, values: ReadonlyArray<number | bigint | boolean | string>): GgufValue => ({
  type: "ARRAY",
  itemType,
  values,
});

/** Tensor element types written here (`ggml_type`): F32 only, which every ggml backend reads. */
export const GgmlType = { F32: 0 } as const;

export interface GgufTensor {
  name: string;
  /** Dimensions in ggml order: `ne[0]` varies fastest (a `[n_embd, n_vocab]` matrix has `n_vocab` rows of `n_embd`). */
  dims: readonly number[];
  /** Row-major in ggml order: `data[i0 + ne0 * (i1 + ne1 * …)]`. */
  data: Float32Array;
}

export interface GgufFile {
  metadata: Readonly<Record<string, GgufValue>>;
  tensors: readonly GgufTensor[];
}

export const ggufMagic = 0x46554747; // "GGUF" read as a little-endian uint32
export const ggufVersion = 3;
export const defaultAlignment = 32;

/** A growable little-endian byte buffer. */
class ByteWriter {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number): void {
    this.reserve(1);
    this.length = this.buf.writeUInt8(v, this.length);
  }
  i8(v: number): void {
    this.reserve(1);
    this.length = this.buf.writeInt8(v, this.length);
  }
  u16(v: number): void {
    this.reserve(2);
    this.length = this.buf.writeUInt16LE(v, this.length);
  }
  i16(v: number): void {
    this.reserve(2);
    this.length = this.buf.writeInt16LE(v, this.length);
  }
  u32(v: number): void {
    this.reserve(4);
    this.length = this.buf.writeUInt32LE(v, this.length);
  }
  i32(v: number): void {
    this.reserve(4);
    this.length = this.buf.writeInt32LE(v, this.length);
  }
  u64(v: number | bigint): void {
    this.reserve(8);
    this.length = this.buf.writeBigUInt64LE(BigInt(v), this.length);
  }
  i64(v: number | bigint): void {
    this.reserve(8);
    this.length = this.buf.writeBigInt64LE(BigInt(v), this.length);
  }
  f32(v: number): void {
    this.reserve(4);
    this.length = this.buf.writeFloatLE(v, this.length);
  }
  f64(v: number): void {
    this.reserve(8);
    this.length = this.buf.writeDoubleLE(v, this.length);
  }
  string(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.reserve(bytes.length);
    bytes.copy(this.buf, this.length);
    this.length += bytes.length;
  }
  pad(alignment: number): void {
    const n = (alignment - (this.length % alignment)) % alignment;
    this.reserve(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function check(cond: boolean, message: string): asserts cond {
  if (!cond) throw new TypeError(`GGUF: ${message}`);
}

function writeScalar(w: ByteWriter, type: GgufScalarType, v: number | bigint | boolean | string, key: string): void {
  const num = (): number => {
    check(typeof v === "number" && Number.isFinite(v), `${key}: ${type} needs a finite number, got ${String(v)}`);
    return v;
  };
  const int = (lo: number, hi: number): number => {
    const n = num();
    check(Number.isInteger(n) && n >= lo && n <= hi, `${key}: ${n} is not a ${type}`);
    return n;
  };
  switch (type) {
    case "UINT8":
      return w.u8(int(0, 0xff));
    case "INT8":
      return w.i8(int(-0x80, 0x7f));
    case "UINT16":
      return w.u16(int(0, 0xffff));
    case "INT16":
      return w.i16(int(-0x8000, 0x7fff));
    case "UINT32":
      return w.u32(int(0, 0xffffffff));
    case "INT32":
      return w.i32(int(-0x80000000, 0x7fffffff));
    case "UINT64":
    case "INT64": {
      check(typeof v === "bigint" || (typeof v === "number" && Number.isSafeInteger(v)), `${key}: ${String(v)} is not a ${type}`);
      return type === "UINT64" ? w.u64(v) : w.i64(v);
    }
    case "FLOAT32":
      return w.f32(num());
    case "FLOAT64":
      return w.f64(num());
    case "BOOL":
      check(typeof v === "boolean", `${key}: BOOL needs a boolean`);
      return w.u8(v ? 1 : 0);
    case "STRING":
      check(typeof v === "string", `${key}: STRING needs a string`);
      return w.string(v);
  }
}

/** The file's bytes. Throws a TypeError naming the key or tensor on a malformed input. */
export function encodeGguf(file: GgufFile): Buffer {
  const alignmentValue = file.metadata["general.alignment"];
  let alignment = defaultAlignment;
  if (alignmentValue) {
    check(alignmentValue.type === "UINT32" && typeof alignmentValue.value === "number", "general.alignment must be a UINT32");
    alignment = alignmentValue.value;
    check(alignment > 0 && alignment % 8 === 0, "general.alignment must be a positive multiple of 8");
  }
  const names = new Set<string>();
  for (const t of file.tensors) {
    check(!names.has(t.name), `tensor ${t.name} appears twice`);
    names.add(t.name);
    check(t.dims.length >= 1 && t.dims.length <= 4, `tensor ${t.name}: 1 to 4 dimensions`);
    check(
      t.dims.every((d) => Number.isInteger(d) && d > 0),
      `tensor ${t.name}: dimensions must be positive integers`,
    );
    const elements = t.dims.reduce((a, b) => a * b, 1);
    check(t.data.length === elements, `tensor ${t.name}: ${t.data.length} values for dims [${t.dims.join(", ")}] (${elements})`);
  }

  const w = new ByteWriter();
  w.u32(ggufMagic);
  w.u32(ggufVersion);
  w.u64(file.tensors.length);
  const entries = Object.entries(file.metadata);
  w.u64(entries.length);
  for (const [key, value] of entries) {
    w.string(key);
    if (value.type === "ARRAY") {
      w.u32(GgufValueType.ARRAY);
      w.u32(GgufValueType[value.itemType]);
      w.u64(value.values.length);
      for (const item of value.values) writeScalar(w, value.itemType, item, key);
    } else {
      w.u32(GgufValueType[value.type]);
      writeScalar(w, value.type, value.value, key);
    }
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of file.tensors) {
    w.string(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GgmlType.F32);
    w.u64(offset);
    offsets.push(offset);
    offset += t.data.length * 4;
    offset += (alignment - (offset % alignment)) % alignment;
  }
  w.pad(alignment);
  const dataStart = w.length;
  const out = Buffer.alloc(dataStart + offset);
  w.bytes().copy(out, 0);
  file.tensors.forEach((t, i) => {
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (endianness() === "LE") bytes.copy(out, dataStart + offsets[i]!);
    else for (let j = 0; j < t.data.length; j++) out.writeFloatLE(t.data[j]!, dataStart + offsets[i]! + j * 4);
  });
  return out;
}

/** Writes the file in one go. */
export async function writeGguf(path: string, file: GgufFile): Promise<void> {
  await writeFile(path, encodeGguf(file));
}
