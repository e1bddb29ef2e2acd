/**
 * What to evaluate: a policy with parameters and a verifier, under an execution mode.
 * Spelled on the command line as `name[:param=value,...][@verifier]`, e.g. `adaptive:threshold=0.9@rule`.
 */
import { createPolicy, createVerifier, executionModes, type ExecutionMode, type Policy } from "@ttc/policy";

export interface PolicySpec {
  /** As written, used as the row's label. */
  label: string;
  name: string;
  params: Record<string, number>;
  verifier: string;
}

/** Parses one spec. @throws Error naming the bad part. */
export function parsePolicySpec(text: string, defaultVerifier: string): PolicySpec {
  const at = text.lastIndexOf("@");
  const body = at >= 0 ? text.slice(0, at) : text;
  const verifier = at >= 0 ? text.slice(at + 1) : defaultVerifier;
  const colon = body.indexOf(":");
  const name = colon >= 0 ? body.slice(0, colon) : body;
  const params: Record<string, number> = {};
  if (colon >= 0) {
    for (const pair of body
      .slice(colon + 1)
      .split(",")
      .filter(Boolean)) {
      const [k, v, extra] = pair.split("=");
      if (!k || v === undefined || extra !== undefined || v.trim() === "" || !Number.isFinite(Number(v)))
        throw new Error(`policy spec "${text}": expected name=number, got "${pair}"`);
      params[k] = Number(v);
    }
  }
  // Validate the name, parameters and verifier now, not mid-run.
  createPolicy(name, params);
  if (verifier !== "none") createVerifier(verifier);
  return { label: text, name, params, verifier };
}

/** A fresh policy for one query. */
export function instantiate(spec: PolicySpec): Policy {
  return createPolicy(spec.name, spec.params);
}

export function parseModes(list: string): ExecutionMode[] {
  return list.split(",").map((m) => {
    if (!(executionModes as readonly string[]).includes(m)) throw new Error(`unknown mode "${m}"; known: ${executionModes.join(", ")}`);
    return m as ExecutionMode;
  });
}
