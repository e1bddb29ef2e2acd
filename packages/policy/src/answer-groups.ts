/**
 * Groups one query's answers by equivalence: the first answer of a group names it, and every later
 * equivalent spelling (0.5 and \frac{1}{2}) votes under that name.
 */
import { answersEquivalent } from "./answer.js";
import type { AnswerFormatName } from "./types.js";

export class AnswerGroups {
  readonly #names: string[] = [];
  readonly #memo = new Map<string, string>();

  constructor(private readonly format: AnswerFormatName) {}

  /** The group name for a normalised answer (null stays null). */
  canonical(answer: string | null): string | null {
    if (answer === null) return null;
    const known = this.#memo.get(answer);
    if (known !== undefined) return known;
    const name = this.#names.find((n) => answersEquivalent(n, answer, this.format)) ?? answer;
    if (name === answer) this.#names.push(answer);
    this.#memo.set(answer, name);
    return name;
  }
}
