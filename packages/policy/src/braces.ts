/** Brace matching shared by answer extraction (`\boxed{...}`) and normalisation (`\text{...}`). */

/** Index of the `}` closing the `{` at `open`, or -1 when it is never closed. */
export function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return i;
  }
  return -1;
}
