/**
 * Reading policy parameters: each is a named number with a default and a valid range, so a bad
 * request fails with the parameter's path and what would be accepted.
 */
import { PolicyConfigError } from "./config-error.js";

export interface ParamSpec {
  default: number;
  min: number;
  max: number;
  /** Must be an integer. */
  integer?: boolean;
  /** Bounds are exclusive (e.g. a probability threshold in (0.5, 1)). */
  exclusive?: boolean;
  doc: string;
}

/** Resolves `params` against `specs`, defaults filled in. @throws PolicyConfigError on a bad value. */
export function readParams<K extends string>(
  policy: string,
  specs: Record<K, ParamSpec>,
  params: Record<string, number>,
): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const [key, spec] of Object.entries(specs) as Array<[K, ParamSpec]>) {
    const value = params[key] ?? spec.default;
    const inRange = spec.exclusive ? value > spec.min && value < spec.max : value >= spec.min && value <= spec.max;
    if (typeof value !== "number" || !Number.isFinite(value) || !inRange || (spec.integer && !Number.isInteger(value))) {
      const range = spec.exclusive ? `(${spec.min}, ${spec.max})` : `[${spec.min}, ${spec.max}]`;
      throw new PolicyConfigError(
        `policy.params.${key}`,
        `${policy} ${key} must be ${spec.integer ? "an integer " : ""}in ${range} (${spec.doc}), got ${value}`,
      );
    }
    out[key] = value;
  }
  return out;
}

/** "4 answers", "1 answer". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
