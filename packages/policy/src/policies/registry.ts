/**
 * Policies by name, as requested over the wire, with their parameters validated.
 */
import type { Policy } from "../types.js";
import { createAdaptivePolicy } from "./adaptive.js";
import { PolicyConfigError } from "./config-error.js";
import { createMajorityPolicy } from "./majority.js";
import { adaptiveParamSpecs } from "./adaptive.js";
import { createBestOfNPolicy } from "./best-of-n.js";
import { createDeepConfPolicy, deepconfParamSpecs } from "./deepconf.js";
import { createEscPolicy, escParamSpecs } from "./esc.js";
import { createFirstVerifiedPolicy } from "./first-verified.js";
import { createPrmBeamPolicy, prmBeamParamSpecs } from "./prm-beam.js";
import { createSpecRejectPolicy, specRejectParamSpecs } from "./spec-reject.js";
import { createWeightedPolicy, weightedParamSpecs } from "./weighted.js";

/** Names accepted by `createPolicy`. */
export const policyNames = [
  "majority",
  "weighted",
  "best-of-n",
  "adaptive",
  "esc",
  "deepconf",
  "prm-beam",
  "spec-reject",
  "first-verified",
] as const;

/** A known policy name. */
export type PolicyName = (typeof policyNames)[number];

/** The policy used when a request names none. */
export const defaultPolicyName: PolicyName = "adaptive";

interface PolicyEntry {
  readonly params: readonly string[];
  create(params: Record<string, number>): Policy;
}

const keys = (specs: object): string[] => Object.keys(specs);

const entries: Record<PolicyName, PolicyEntry> = {
  majority: { params: [], create: () => createMajorityPolicy() },
  weighted: { params: keys(weightedParamSpecs), create: (params) => createWeightedPolicy(params) },
  "best-of-n": { params: [], create: () => createBestOfNPolicy() },
  adaptive: { params: keys(adaptiveParamSpecs), create: (params) => createAdaptivePolicy(params) },
  esc: { params: keys(escParamSpecs), create: (params) => createEscPolicy(params) },
  deepconf: { params: keys(deepconfParamSpecs), create: (params) => createDeepConfPolicy(params) },
  "prm-beam": { params: keys(prmBeamParamSpecs), create: (params) => createPrmBeamPolicy(params) },
  "spec-reject": { params: keys(specRejectParamSpecs), create: (params) => createSpecRejectPolicy(params) },
  "first-verified": { params: [], create: () => createFirstVerifiedPolicy() },
};

/** Whether `name` is one of `policyNames`. */
export function isPolicyName(name: string): name is PolicyName {
  return (policyNames as readonly string[]).includes(name);
}

/**
 * A fresh policy instance (policies hold one query's votes, so never share one between queries).
 * @throws PolicyConfigError for an unknown name, an unknown parameter or an out-of-range value.
 */
export function createPolicy(name: string, params: Record<string, number>): Policy {
  if (!isPolicyName(name)) {
    throw new PolicyConfigError("policy.name", `unknown policy "${name}"; known policies: ${policyNames.join(", ")}`);
  }
  const entry = entries[name];
  for (const key of Object.keys(params)) {
    if (entry.params.includes(key)) continue;
    const accepted = entry.params.length === 0 ? "it takes no parameters" : `accepted: ${entry.params.join(", ")}`;
    // A key that is not a name (empty, dotted, any text a caller sent) is quoted, so the path stays readable.
    const field = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `policy.params.${key}` : `policy.params[${JSON.stringify(key.slice(0, 64))}]`;
    throw new PolicyConfigError(field, `unknown parameter ${JSON.stringify(key.slice(0, 64))} for policy "${name}"; ${accepted}`);
  }
  return entry.create(params);
}
