/**
 * The live progress of a run on a terminal: one line redrawn in place on a TTY, a plain line every
 * few seconds otherwise (a log file or CI gets a readable history, not carriage returns).
 */
import { OK, recentSeconds, type Progress } from "./recorder.js";

/** One line: elapsed, sent (of planned), in flight, outcomes, and the recent latency quantiles. */
export function progressLine(p: Progress): string {
  const outcomes = Object.entries(p.outcomes)
    .filter(([k]) => k !== OK)
    .map(([k, n]) => `${k} ${n}`);
  const latency = p.recent.answered > 0 ? `p50 ${p.recent.p50.toFixed(2)}s p99 ${p.recent.p99.toFixed(2)}s (last ${recentSeconds} s)` : "";
  return [
    `${p.elapsedSeconds.toFixed(0).padStart(4)}s`,
    `sent ${p.sent}${p.planned === undefined ? "" : `/${p.planned}`}`,
    `in flight ${p.inFlight}`,
    `ok ${p.outcomes[OK] ?? 0}`,
    ...outcomes,
    latency,
  ]
    .filter(Boolean)
    .join("  ");
}

export interface ProgressPrinter {
  update(progress: Progress): void;
  /** Ends the in-place line. */
  done(): void;
}

/** Prints progress on `out`: redrawn in place when it is a TTY, else one line every `plainEverySeconds`. */
export function progressPrinter(out: NodeJS.WriteStream, plainEverySeconds = 5): ProgressPrinter {
  let printedAt = -Infinity;
  let drawn = false;
  return {
    update(p) {
      if (out.isTTY) {
        // Cut to the terminal's width: a wrapped line could not be redrawn in place.
        out.write(`\r\x1b[2K${progressLine(p).slice(0, (out.columns ?? 120) - 1)}`);
        drawn = true;
      } else if (p.elapsedSeconds - printedAt >= plainEverySeconds) {
        out.write(`${progressLine(p)}\n`);
        printedAt = p.elapsedSeconds;
      }
    },
    done() {
      if (drawn) out.write("\n");
    },
  };
}
