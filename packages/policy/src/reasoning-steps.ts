/**
 * Reasoning steps: where a trace is cut into steps. The one definition behind recorded step scores
 * (`CorpusBranch.stepScores`), replaying a branch step by step and charging its tokens per step,
 * the chunks a streaming worker sends, and the steps a verifier scores.
 *
 * A step is a paragraph when the text is written in blank-line paragraphs (a whitespace-only line
 * with non-blank lines before and after it), else a line; whitespace-only lines never make a step
 * of their own. The cutters differ only in when they know which of the two a text is:
 * - {@link splitSteps} sees the whole text, so its first paragraph is one step;
 * - a streaming cutter ({@link StepBoundaries} without the `paragraphs` option) must decide as the
 *   text arrives, before any blank line has shown: it cuts at each line until the text shows
 *   paragraphs, at each paragraph from then on. Its lines before the first blank line are steps of
 *   their own, where the whole-text split later groups them into the first paragraph. A chunk sent
 *   cannot be taken back, so this is deliberate, not a drift to fix.
 *
 * {@link countCompletedSteps} counts {@link completedSteps} of a partial trace read piece by piece
 * (what a verifier resuming from its last call needs), equal to the whole-text count at every point.
 */

/** `text` cut into lines, each with its `\n` (the last one may have none). */
function linesOf(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function isBlank(line: string): boolean {
  return line.trim() === "";
}

/** Options of {@link StepBoundaries}. */
export interface StepBoundaryOptions {
  /**
   * Whether the text is written in paragraphs, when the whole text is known (as {@link splitSteps}
   * knows it). Leave it out for a text that is still streaming: the cutter then takes lines as steps
   * until a blank line after a non-blank one shows paragraphs.
   */
  paragraphs?: boolean;
}

/** Where reasoning steps end in a text fed piece by piece (see the module comment). */
export class StepBoundaries {
  private line = "";
  /** Non-blank text since the last step ended. */
  private pending = false;
  private seenContent = false;
  private paragraphs: boolean;
  private readonly detectParagraphs: boolean;

  constructor(options: StepBoundaryOptions = {}) {
    this.paragraphs = options.paragraphs ?? false;
    this.detectParagraphs = options.paragraphs === undefined;
  }

  /** Feeds the next piece of text; true when a step ends exactly at its end (blank lines just after a step's end included). */
  feed(text: string): boolean {
    let endsStep = false;
    let from = 0;
    while (from < text.length) {
      const nl = text.indexOf("\n", from);
      if (nl < 0) {
        this.line += text.slice(from);
        return false;
      }
      this.line += text.slice(from, nl + 1);
      const line = this.endLine();
      // A blank line right after a step's end in the same piece still leaves the text at that end;
      // a blank line on its own waits for the next step, so no chunk is only whitespace.
      endsStep = line === "step" || (line === "blank" && endsStep);
      from = nl + 1;
    }
    return endsStep;
  }

  private endLine(): "step" | "blank" | "none" {
    const blank = isBlank(this.line);
    this.line = "";
    if (!blank) {
      this.seenContent = true;
      if (!this.paragraphs) return "step";
      this.pending = true;
      return "none";
    }
    if (!this.seenContent) return "none";
    if (this.detectParagraphs) this.paragraphs = true;
    if (!this.pending) return "blank";
    this.pending = false;
    return "step";
  }
}

/** Whether the lines have a blank line with non-blank lines before and after it. */
function hasParagraphs(lines: readonly string[]): boolean {
  const blank = lines.map(isBlank);
  const first = blank.indexOf(false);
  const last = blank.lastIndexOf(false);
  return blank.some((b, i) => b && i > first && i < last);
}

/**
 * The reasoning steps of a whole trace, so that `splitSteps(t).join("") === t` for every string.
 *
 * A step ends after the newline(s) that end its paragraph or line: the blank lines after a step
 * belong to it, whitespace before the first non-blank line belongs to the first step and whitespace
 * after the last one to the last step. So no step is empty or whitespace-only, except that a text
 * with no non-whitespace character at all is one step (and `""` is none).
 *
 * Examples: `"a\nb\n"` → `["a\n", "b\n"]`; `"a\nb\n\nc\n"` → `["a\nb\n\n", "c\n"]`;
 * `"\nQ1. x\ny\n\n"` → `["\nQ1. x\n", "y\n\n"]`.
 */
export function splitSteps(text: string): string[] {
  if (text === "") return [];
  const lines = linesOf(text);
  const boundaries = new StepBoundaries({ paragraphs: hasParagraphs(lines) });
  const steps: string[] = [];
  let current = "";
  // A step has ended and only blank lines followed: the next non-blank line starts a new step.
  let ended = false;
  for (const line of lines) {
    const blank = isBlank(line);
    if (!blank && ended) {
      steps.push(current);
      current = "";
    }
    current += line;
    ended = boundaries.feed(line) || (blank && ended);
  }
  steps.push(current);
  return steps;
}

/**
 * The steps of a trace a verifier may score: {@link splitSteps} of it, without a partial trace's
 * last step while the line holding its last non-blank character has not ended (it may still be
 * growing), and none for a trace of whitespace only.
 */
export function completedSteps(trace: string, final: boolean): string[] {
  const steps = splitSteps(trace).filter((s) => s.trim() !== "");
  if (!final && steps.length > 0 && !/\n\s*$/.test(steps.at(-1)!)) steps.pop();
  return steps;
}

/**
 * What {@link countCompletedSteps} keeps of the text read so far: counts of the lines ended by a
 * newline, and the one fact it needs of the line still open. Plain data, so it can travel in a
 * verifier's resume state.
 */
export interface StepCount {
  /** Non-blank lines ended. */
  lines: number;
  /** Paragraphs begun by those lines: a non-blank line at the start or right after a blank line. */
  paragraphs: number;
  /** The last line ended was blank, or none has ended: the next non-blank line begins a paragraph. */
  afterBlank: boolean;
  /** A blank line has ended after a non-blank one: one more non-blank line shows paragraphs. */
  blankAfterContent: boolean;
  /** A non-blank line has ended after such a blank line: the text is written in paragraphs. */
  paragraphsShown: boolean;
  /** The line still open has a non-blank character. */
  openLine: boolean;
}

/** The count of an empty text. */
export const noStepsCounted: StepCount = {
  lines: 0,
  paragraphs: 0,
  afterBlank: true,
  blankAfterContent: false,
  paragraphsShown: false,
  openLine: false,
};

/** `count` after the text read so far is followed by `piece`; reads only `piece`. */
export function countCompletedSteps(count: StepCount, piece: string): StepCount {
  const c = { ...count };
  let from = 0;
  for (let nl = piece.indexOf("\n"); nl >= 0; from = nl + 1, nl = piece.indexOf("\n", from)) {
    const blank = !c.openLine && !/\S/.test(piece.slice(from, nl));
    if (blank) {
      if (c.lines > 0) c.blankAfterContent = true;
    } else {
      c.lines++;
      if (c.afterBlank) c.paragraphs++;
      if (c.blankAfterContent) c.paragraphsShown = true;
    }
    c.afterBlank = blank;
    c.openLine = false;
  }
  c.openLine ||= /\S/.test(piece.slice(from));
  return c;
}

/**
 * `completedSteps(text, false).length` for the text `count` has read. Like {@link splitSteps}, it
 * takes paragraphs as steps once a blank line stands between non-blank lines (the open line counts
 * as one after it), else lines; the step the open line belongs to is not complete.
 */
export function completedStepCount(count: StepCount): number {
  const paragraphs = count.paragraphsShown || (count.blankAfterContent && count.openLine);
  if (!paragraphs) return count.lines;
  return count.paragraphs - (count.openLine && !count.afterBlank ? 1 : 0);
}
