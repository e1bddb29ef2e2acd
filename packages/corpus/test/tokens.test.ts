import { describe, it, expect } from "vitest";
import { countTokens } from "../src/tokens.js";

describe("countTokens", () => {
  it("counts cl100k_base tokens (GPT-4's tokenizer)", () => {
    expect(countTokens("hello world", "cl100k_base")).toBe(2);
    expect(countTokens("", "cl100k_base")).toBe(0);
    // cl100k groups up to three digits per token
    expect(countTokens("123456789", "cl100k_base")).toBe(3);
  });

  it("counts p50k_base tokens (code-davinci-002's tokenizer), which differ from cl100k's", () => {
    expect(countTokens("hello world", "p50k_base")).toBe(2);
    expect(countTokens("The answer is 05/01/2021.", "p50k_base")).toBe(10);
    expect(countTokens("The answer is 05/01/2021.", "cl100k_base")).toBe(11);
    expect(countTokens("你好世界", "p50k_base")).toBe(8);
    expect(countTokens("你好世界", "cl100k_base")).toBe(5);
  });

  it("counts special-token look-alikes as ordinary text instead of refusing them", () => {
    expect(countTokens("<|endoftext|>", "cl100k_base")).toBeGreaterThan(1);
    expect(countTokens("<|endoftext|>", "p50k_base")).toBeGreaterThan(1);
  });

  it("estimates chars/4 as ceil(code points / 4)", () => {
    expect(countTokens("", "chars/4")).toBe(0);
    expect(countTokens("abcd", "chars/4")).toBe(1);
    expect(countTokens("abcde", "chars/4")).toBe(2);
    expect(countTokens("😀😀😀😀", "chars/4")).toBe(1); // 4 code points, 8 UTF-16 units
  });

  it("refuses to compute a 'recorded' count", () => {
    expect(() => countTokens("x", "recorded")).toThrow(/recorded/);
  });
});
