/**
 * What a benchmark goal measures and how its runs are summarised: every goal reports named figures,
 * some of them with a target, and the runner shows each figure as min / median / max over the runs.
 * A target is judged on the median, so one noisy run on a shared machine neither passes nor fails a goal.
 */
import { quantile } from "@ttc/stats";

/** A bound a figure should meet. */
export interface Target {
  op: "<=" | ">=";
  value: number;
}

/** One figure a goal reports. */
export interface Figure {
  /** Key in the run's `values` and in the JSON report. */
  key: string;
  /** What the table calls it. */
  label: string;
  unit: string;
  /** Digits after the decimal point in the table. */
  digits: number;
  target?: Target;
}

/** What one run of a goal produced: a value per figure, and whatever else explains them (for the JSON report). */
export interface GoalRun {
  values: Record<string, number>;
  details: Record<string, unknown>;
}

/** How a goal is run; each goal scales its own work from `quick`. */
export interface GoalOptions {
  /** A short smoke version: the same code paths on a small load, figures not meant to be judged. */
  quick: boolean;
  /** Progress lines for the person watching (stderr). */
  log(message: string): void;
}

/** One benchmark goal: its figures, and one measurement run of them. */
export interface BenchGoal {
  goal: number;
  title: string;
  /** How it is measured, in a sentence, for the report. */
  method: string;
  figures: Figure[];
  /** Run only when asked for by number (a long soak): `npm run bench` without `--goal` leaves it out. */
  onDemand?: boolean;
  run(options: GoalOptions): Promise<GoalRun>;
}

export interface FigureSummary {
  min: number;
  median: number;
  max: number;
  runs: number[];
  /** Whether the median meets the target; null when the figure has none. */
  met: boolean | null;
}

/** Min, median and max of a figure over the runs, and whether its median meets the target. */
export function summarise(figure: Figure, runs: readonly GoalRun[]): FigureSummary {
  const values = runs.map((r) => r.values[figure.key]).filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (values.length === 0) return { min: NaN, median: NaN, max: NaN, runs: [], met: figure.target ? false : null };
  const median = quantile(values, 0.5);
  return {
    min: Math.min(...values),
    median,
    max: Math.max(...values),
    runs: values,
    met: figure.target ? meets(median, figure.target) : null,
  };
}

function meets(value: number, target: Target): boolean {
  return target.op === "<=" ? value <= target.value : value >= target.value;
}

/** A figure's value as the table shows it; "n/a" when no run produced it. */
export function formatValue(value: number, digits: number): string {
  if (!Number.isFinite(value)) return "n/a";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatTarget(figure: Figure): string {
  if (!figure.target) return "–";
  return `${figure.target.op === "<=" ? "≤" : "≥"} ${formatValue(figure.target.value, figure.digits)} ${figure.unit}`.trim();
}

/** "min / median / max unit", or the single value when there was one run. */
export function formatMeasured(figure: Figure, s: FigureSummary): string {
  const unit = figure.unit ? ` ${figure.unit}` : "";
  if (s.runs.length <= 1) return `${formatValue(s.median, figure.digits)}${unit}`;
  return `${[s.min, s.median, s.max].map((v) => formatValue(v, figure.digits)).join(" / ")}${unit}`;
}
