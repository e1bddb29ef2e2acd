import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { arr, encodeGguf, encodeTinyLlama, f32, str, tinyLlama, tinyLlamaVocabulary, u32, u64, writeTinyLlama } from "@ttc/test-harness";

describe("GGUF writer", () => {
  it("writes the header, metadata and tensor infos of the format, with aligned tensor data", () => {
    const a = new Float32Array([1, 2, 3]);
    const b = new Float32Array([4, 5, 6, 7, 8, 9]);
    const buf = encodeGguf({
      metadata: { "general.architecture": str("llama"), "x.n": u32(7) },
      tensors: [
        { name: "a", dims: [3], data: a },
        { name: "b", dims: [3, 2], data: b },
      ],
    });
    let at = 0;
    const u32At = () => ((at += 4), buf.readUInt32LE(at - 4));
    const u64At = () => ((at += 8), Number(buf.readBigUInt64LE(at - 8)));
    const strAt = () => {
      const n = u64At();
      at += n;
      return buf.toString("utf8", at - n, at);
    };
    expect(buf.toString("latin1", 0, 4)).toBe("GGUF");
    at = 4;
    expect(u32At()).toBe(3); // version
    expect(u64At()).toBe(2); // tensors
    expect(u64At()).toBe(2); // metadata KVs
    expect(strAt()).toBe("general.architecture");
    expect(u32At()).toBe(8); // STRING
    expect(strAt()).toBe("llama");
    expect(strAt()).toBe("x.n");
    expect(u32At()).toBe(4); // UINT32
    expect(u32At()).toBe(7);
    const infos = [0, 1].map(() => {
      const name = strAt();
      const nDims = u32At();
      const dims = Array.from({ length: nDims }, u64At);
      return { name, dims, type: u32At(), offset: u64At() };
    });
    expect(infos).toEqual([
      { name: "a", dims: [3], type: 0, offset: 0 },
      { name: "b", dims: [3, 2], type: 0, offset: 32 }, // 12 bytes of "a", padded to the 32-byte alignment
    ]);
    const dataStart = Math.ceil(at / 32) * 32;
    expect(buf.length).toBe(dataStart + 64); // each tensor padded to the alignment, as ggml writes them
    expect(Array.from({ length: 3 }, (_, i) => buf.readFloatLE(dataStart + i * 4))).toEqual([1, 2, 3]);
    expect(Array.from({ length: 6 }, (_, i) => buf.readFloatLE(dataStart + 32 + i * 4))).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it("refuses malformed input with the key or tensor named", () => {
    const t = { name: "t", dims: [2, 2], data: new Float32Array(3) };
    expect(() => encodeGguf({ metadata: {}, tensors: [t] })).toThrow(/tensor t: 3 values for dims \[2, 2\]/);
    const ok = { name: "t", dims: [2], data: new Float32Array(2) };
    expect(() => encodeGguf({ metadata: {}, tensors: [ok, ok] })).toThrow(/tensor t appears twice/);
    expect(() => encodeGguf({ metadata: { k: u32(-1) }, tensors: [] })).toThrow(/k: -1 is not a UINT32/);
    expect(() => encodeGguf({ metadata: { k: arr("INT32", [1, "x"]) }, tensors: [] })).toThrow(/k: INT32 needs a finite number/);
    expect(() => encodeGguf({ metadata: { "general.alignment": u64(32) }, tensors: [] })).toThrow(/general.alignment must be a UINT32/);
  });

  it("writes the same bytes for the same seed, and other weights for another", () => {
    const one = encodeTinyLlama({ seed: 3 });
    expect(encodeTinyLlama({ seed: 3 }).equals(one)).toBe(true);
    expect(encodeTinyLlama({ seed: 4 }).equals(one)).toBe(false);
    expect(encodeTinyLlama({ seed: 4 }).length).toBe(one.length);
  });

  it("has a byte-fallback vocabulary: <unk>, <s>, </s>, 256 bytes, the SentencePiece space and printable ASCII", () => {
    const v = tinyLlamaVocabulary();
    expect(v.tokens.slice(0, 4)).toEqual(["<unk>", "<s>", "</s>", "<0x00>"]);
    expect(v.tokens[3 + 0x0a]).toBe("<0x0A>");
    expect(v.tokens).toHaveLength(3 + 256 + 1 + 94);
    expect(new Set(v.tokens).size).toBe(v.tokens.length);
    expect(v.scores).toHaveLength(v.tokens.length);
    expect(v.types).toHaveLength(v.tokens.length);
  });

  describe("read back by node-llama-cpp's GGUF parser", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "ttc-gguf-"));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("parses the tiny llama's metadata and tensors", async () => {
      const path = join(dir, "tiny.gguf");
      await writeTinyLlama(path, { blockCount: 1, embeddingLength: 32, headCount: 4, headCountKv: 4, feedForwardLength: 64 });
      const info = await readGgufFileInfo(path, { sourceType: "filesystem", logWarnings: false });
      expect(info.version).toBe(3);
      const md = info.metadata as unknown as Record<string, Record<string, unknown>>;
      expect(md["general"]?.["architecture"]).toBe("llama");
      const llama = md["llama"] as Record<string, unknown>;
      expect(llama["block_count"]).toBe(1);
      expect(llama["embedding_length"]).toBe(32);
      expect((llama["attention"] as Record<string, unknown>)["head_count_kv"]).toBe(4);
      expect((llama["attention"] as Record<string, unknown>)["layer_norm_rms_epsilon"]).toBeCloseTo(1e-5, 9);
      const tokenizer = (md["tokenizer"] as Record<string, Record<string, unknown>>)["ggml"]!;
      expect(tokenizer["model"]).toBe("llama");
      expect((tokenizer["tokens"] as string[]).length).toBe(354);
      expect(tokenizer["eos_token_id"]).toBe(2);
      const expected = tinyLlama({ blockCount: 1, embeddingLength: 32, headCount: 4, headCountKv: 4, feedForwardLength: 64 }).tensors;
      const tensors = info.tensorInfo ?? [];
      expect(tensors.map((t) => t.name)).toEqual(expected.map((t) => t.name));
      expect(tensors.map((t) => t.dimensions.map(Number))).toEqual(expected.map((t) => [...t.dims]));
      expect(tensors.every((t) => t.ggmlType === 0 && Number(t.fileOffset) % 32 === 0)).toBe(true);
    });
  });
});

describe("GGUF value helpers", () => {
  it("tag values with their GGUF types", () => {
    expect(u32(1)).toEqual({ type: "UINT32", value: 1 });
    expect(f32(0.5)).toEqual({ type: "FLOAT32", value: 0.5 });
    expect(arr("STRING", ["a"])).toEqual({ type: "ARRAY", itemType: "STRING", values: ["a"] });
  });
});
