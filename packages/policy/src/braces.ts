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

/**
 * For every `{` of `text`, the index of the `}` that closes it (-1 when it is never closed): the pairs
 * {@link matchingBrace} finds, all in one pass, for a reader that would otherwise rescan the rest of a
 * long text from each of thousands of unclosed braces.
 */
export function closingBraces(text: string): Map<number, number> {
  const closes = new Map<number, number>();
  const open: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "{") {
      open.push(i);
      closes.set(i, -1);
    } else if (text[i] === "}" && open.length > 0) closes.set(open.pop()!, i);
  }
  return closes;
}
