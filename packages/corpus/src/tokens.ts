/**
 * Token counting for recorded traces. The BPE encoders come from `js-tiktoken` (pure JavaScript, the
 * ranks bundled in the package, nothing fetched at run time) and are built once, on first use
 * (building one takes a few hundred milliseconds).
 */
import { Tiktoken } from "js-tiktoken/lite";
import cl100k_base from "js-tiktoken/ranks/cl100k_base";
import p50k_base from "js-tiktoken/ranks/p50k_base";
import type { TokenCounting } from "./types.js";

/** Every `TokenCounting` value, in a fixed order. */
export const tokenCountings = ["recorded", "cl100k_base", "p50k_base", "chars/4"] as const satisfies readonly TokenCounting[];

/** The counting methods `countTokens` can compute (all but "recorded"). */
export type ComputedTokenCounting = Exclude<TokenCounting, "recorded">;

const encoders: Partial<Record<"cl100k_base" | "p50k_base", Tiktoken>> = {};

function encoder(name: "cl100k_base" | "p50k_base"): Tiktoken {
  let e = encoders[name];
  if (e === undefined) {
    e = new Tiktoken(name === "cl100k_base" ? cl100k_base : p50k_base);
    encoders[name] = e;
  }
  return e;
}

/**
 * Tokens in `text` counted as `counting` says:
 * - `"cl100k_base"`, `"p50k_base"`: the BPE's token count. Text that looks like a special token
 *   (`<|endoftext|>`) is counted as the ordinary text it is, never refused.
 * - `"chars/4"`: ceil(characters / 4), characters being Unicode code points.
 * - `"recorded"`: cannot be computed (it is what a source reported); throws.
 */
export function countTokens(text: string, counting: TokenCounting): number {
  switch (counting) {
    case "chars/4":
      return Math.ceil(codePoints(text) / 4);
    case "cl100k_base":
    case "p50k_base":
      return text === "" ? 0 : encoder(counting).encode(text, [], []).length;
    case "recorded":
      throw new Error(`countTokens: "recorded" token counts come from the source and cannot be computed from the text`);
  }
}

/** Unicode code points in `text` (a surrogate pair is one). */
function codePoints(text: string): number {
  return text.length - (text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
}
