/**
 * A tiny llama-architecture model with seeded random weights and a SentencePiece-style ("llama")
 * byte-fallback vocabulary, written as GGUF. It generates gibberish, fast: for tests of the real
 * llama.cpp loading and generation path without a model download. Nothing about real models rests on it.
 */

import { mulberry32, type Rng } from "@ttc/stats";
import { arr, f32, str, u32, writeGguf, encodeGguf, type GgufFile, type GgufTensor } from "./writer.js";

export interface TinyLlamaOptions {
  /** Seed of the random weights. @default 1 */
  seed?: number;
  /** @default 64 */
  embeddingLength?: number;
  /** @default 2 */
  blockCount?: number;
  /** @default 4 */
  headCount?: number;
  /** Fewer than `headCount` gives grouped-query attention. @default 2 */
  headCountKv?: number;
  /** @default 128 */
  feedForwardLength?: number;
  /** The context the model says it was trained on. @default 512 */
  contextLength?: number;
  /**
   * How likely the model is to end a generation with `</s>`: `never` (its logit is pushed far down,
   * so every generation runs to `maxTokens`), `always` (far up: the first token sampled ends it), or
   * `random` (like any other token).
   * @default "never"
   */
  eos?: "never" | "always" | "random";
  /** general.name @default "ttc-tiny-llama" */
  name?: string;
}

/** Token ids of the vocabulary's special tokens. */
export const tinyLlamaTokens = { unk: 0, bos: 1, eos: 2, firstByte: 3 } as const;

/** `llama_token_type`: what a vocabulary entry is. */
const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6 } as const;

/** <unk>, <s>, </s>, the 256 byte-fallback tokens <0x00>…<0xFF>, "▁" (the SentencePiece space) and printable ASCII. */
export function tinyLlamaVocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ["<unk>", "<s>", "</s>"];
  const types: number[] = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(TokenType.BYTE);
  }
  tokens.push("\u2581");
  types.push(TokenType.NORMAL);
  for (let c = 0x21; c <= 0x7e; c++) {
    tokens.push(String.fromCharCode(c));
    types.push(TokenType.NORMAL);
  }
  // SentencePiece merge scores: only normal pieces merge; all here are single characters.
  const scores = tokens.map((_, i) => (types[i] === TokenType.NORMAL ? -i : 0));
  return { tokens, scores, types };
}

function gaussian(random: Rng): () => number {
  return () => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
}

/** The model as GGUF metadata and tensors. */
export function tinyLlama(options: TinyLlamaOptions = {}): GgufFile {
  const nEmbd = options.embeddingLength ?? 64;
  const nLayer = options.blockCount ?? 2;
  const nHead = options.headCount ?? 4;
  const nHeadKv = options.headCountKv ?? 2;
  const nFf = options.feedForwardLength ?? 128;
  const nCtx = options.contextLength ?? 512;
  const eos = options.eos ?? "never";
  if (nEmbd % nHead !== 0) throw new RangeError(`embeddingLength ${nEmbd} is not a multiple of headCount ${nHead}`);
  if (nHead % nHeadKv !== 0) throw new RangeError(`headCount ${nHead} is not a multiple of headCountKv ${nHeadKv}`);
  const headDim = nEmbd / nHead;
  const vocab = tinyLlamaVocabulary();
  const nVocab = vocab.tokens.length;
  // Seeded, so the same seed writes the same model.
  const normal = gaussian(mulberry32(options.seed ?? 1));

  const matrix = (cols: number, rows: number, std: number): Float32Array => {
    const a = new Float32Array(cols * rows);
    for (let i = 0; i < a.length; i++) a[i] = normal() * std;
    return a;
  };
  const ones = (n: number) => new Float32Array(n).fill(1);

  // Every token's embedding carries a constant component in dimension 0 that survives the small
  // residual updates and the final RMS norm; only the `</s>` row of the output reads it, so that one
  // weight sets how likely the model is to stop, whatever the context.
  const tokenEmbd = matrix(nEmbd, nVocab, 0.02);
  for (let t = 0; t < nVocab; t++) tokenEmbd[t * nEmbd] = 1;
  const output = matrix(nEmbd, nVocab, 1);
  for (let t = 0; t < nVocab; t++) output[t * nEmbd] = 0;
  output[tinyLlamaTokens.eos * nEmbd] = eos === "never" ? -8 : eos === "always" ? 8 : 0;

  const tensors: GgufTensor[] = [{ name: "token_embd.weight", dims: [nEmbd, nVocab], data: tokenEmbd }];
  for (let i = 0; i < nLayer; i++) {
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `blk.${i}.attn_q.weight`, dims: [nEmbd, nEmbd], data: matrix(nEmbd, nEmbd, 0.02) },
      { name: `blk.${i}.attn_k.weight`, dims: [nEmbd, headDim * nHeadKv], data: matrix(nEmbd, headDim * nHeadKv, 0.02) },
      { name: `blk.${i}.attn_v.weight`, dims: [nEmbd, headDim * nHeadKv], data: matrix(nEmbd, headDim * nHeadKv, 0.02) },
      { name: `blk.${i}.attn_output.weight`, dims: [nEmbd, nEmbd], data: matrix(nEmbd, nEmbd, 0.02) },
      { name: `blk.${i}.ffn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `blk.${i}.ffn_gate.weight`, dims: [nEmbd, nFf], data: matrix(nEmbd, nFf, 0.02) },
      { name: `blk.${i}.ffn_up.weight`, dims: [nEmbd, nFf], data: matrix(nEmbd, nFf, 0.02) },
      { name: `blk.${i}.ffn_down.weight`, dims: [nFf, nEmbd], data: matrix(nFf, nEmbd, 0.02) },
    );
  }
  tensors.push(
    { name: "output_norm.weight", dims: [nEmbd], data: ones(nEmbd) },
    { name: "output.weight", dims: [nEmbd, nVocab], data: output },
  );

  return {
    metadata: {
      "general.architecture": str("llama"),
      "general.name": str(options.name ?? "ttc-tiny-llama"),
      "general.alignment": u32(32),
      "llama.context_length": u32(nCtx),
      "llama.embedding_length": u32(nEmbd),
      "llama.block_count": u32(nLayer),
      "llama.feed_forward_length": u32(nFf),
      "llama.attention.head_count": u32(nHead),
      "llama.attention.head_count_kv": u32(nHeadKv),
      "llama.rope.dimension_count": u32(headDim),
      "llama.rope.freq_base": f32(10000),
      "llama.attention.layer_norm_rms_epsilon": f32(1e-5),
      "llama.vocab_size": u32(nVocab),
      "tokenizer.ggml.model": str("llama"),
      "tokenizer.ggml.tokens": arr("STRING", vocab.tokens),
      "tokenizer.ggml.scores": arr("FLOAT32", vocab.scores),
      "tokenizer.ggml.token_type": arr("INT32", vocab.types),
      "tokenizer.ggml.unknown_token_id": u32(tinyLlamaTokens.unk),
      "tokenizer.ggml.bos_token_id": u32(tinyLlamaTokens.bos),
      "tokenizer.ggml.eos_token_id": u32(tinyLlamaTokens.eos),
    },
    tensors,
  };
}

/** The model's GGUF bytes. */
export function encodeTinyLlama(options: TinyLlamaOptions = {}): Buffer {
  return encodeGguf(tinyLlama(options));
}

/** Writes the model to `path`. */
export async function writeTinyLlama(path: string, options: TinyLlamaOptions = {}): Promise<void> {
  await writeGguf(path, tinyLlama(options));
}
