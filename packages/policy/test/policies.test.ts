import { describe, it, expect } from "vitest";
import { createAdaptivePolicy } from "../src/policies/adaptive.js";
import { PolicyConfigError } from "../src/policies/config-error.js";
import { createMajorityPolicy } from "../src/policies/majority.js";
import { createPolicy, defaultPolicyName, isPolicyName, policyNames } from "../src/policies/registry.js";
import type { Policy } from "../src/types.js";

function voteAll(policy: Policy, answers: (string | null)[]): void {
  answers.forEach((answer, branch) => policy.vote(branch, answer));
}

/** The error a call throws, so its fields can be checked. */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("majority policy", () => {
  it("never settles before every branch finished, however unanimous", () => {
    const policy = createMajorityPolicy();
    voteAll(policy, Array<string>(9).fill("7"));
    expect(policy.settled({ finished: 9, maxBranches: 10 })).toEqual({
      settled: false,
      detail: "self-consistency waits for every branch (9 of 10 finished)",
    });
  });

  it("settles once all branches finished, reporting the majority", () => {
    const policy = createMajorityPolicy();
    voteAll(policy, ["7", "8", "7", null]);
    expect(policy.settled({ finished: 4, maxBranches: 4 })).toEqual({
      settled: true,
      detail: "all 4 branches finished; majority answer has 2 of 3 votes",
    });
    expect(policy.consensus().leader).toBe("7");
    expect(policy.name).toBe("majority");
    expect(policy.params).toEqual({});
  });

  it("settles without a leader when nobody answered", () => {
    const policy = createMajorityPolicy();
    voteAll(policy, [null, null]);
    expect(policy.settled({ finished: 2, maxBranches: 2 })).toEqual({
      settled: true,
      detail: "all 2 branches finished without an answer",
    });
  });
});

describe("adaptive policy", () => {
  const progress = { finished: 0, maxBranches: 40 };

  it("does not stop after 3 unanimous votes at threshold 0.95", () => {
    const policy = createAdaptivePolicy();
    voteAll(policy, ["5", "5", "5"]);
    expect(policy.settled(progress)).toEqual({
      settled: false,
      detail: "P(leader is majority) = 0.938 < 0.95 after 3 answers",
    });
  });

  it("stops after 4 unanimous votes at threshold 0.95", () => {
    const policy = createAdaptivePolicy({ threshold: 0.95 });
    voteAll(policy, ["5", "5", "5", "5"]);
    expect(policy.settled(progress)).toEqual({
      settled: true,
      detail: "P(leader is majority) = 0.969 ≥ 0.95 after 4 answers",
    });
  });

  it("does not stop on a 3–2 split", () => {
    const policy = createAdaptivePolicy();
    voteAll(policy, ["5", "6", "5", "6", "5"]);
    const verdict = policy.settled(progress);
    expect(verdict.settled).toBe(false);
    expect(verdict.detail).toBe("P(leader is majority) = 0.656 < 0.95 after 5 answers");
  });

  it("lets branches without an answer finish without voting", () => {
    const policy = createAdaptivePolicy();
    voteAll(policy, ["5", null, "5", null, "5"]);
    expect(policy.settled(progress).settled).toBe(false);
    expect(policy.consensus().votes).toEqual([{ answer: "5", count: 3, weight: 3 }]);
    policy.vote(5, "5");
    expect(policy.settled(progress).settled).toBe(true);
  });

  it("is not settled with no answers at all", () => {
    const policy = createAdaptivePolicy();
    expect(policy.settled(progress)).toEqual({
      settled: false,
      detail: "no answers yet (stopping at P(leader is majority) ≥ 0.95)",
    });
  });

  it("reads one answer in the singular", () => {
    const policy = createAdaptivePolicy({ threshold: 0.7 });
    policy.vote(0, "x");
    expect(policy.settled(progress)).toEqual({ settled: true, detail: "P(leader is majority) = 0.750 ≥ 0.7 after 1 answer" });
  });

  it("reports its parameters with defaults filled in", () => {
    expect(createAdaptivePolicy().params).toEqual({ threshold: 0.95, dirichlet: 0, stopOnVerified: 0 });
    expect(createAdaptivePolicy({ threshold: 0.8 }).params).toEqual({ threshold: 0.8, dirichlet: 0, stopOnVerified: 0 });
    expect(createAdaptivePolicy({ dirichlet: 1, stopOnVerified: 1 }).params).toEqual({ threshold: 0.95, dirichlet: 1, stopOnVerified: 1 });
    expect(createAdaptivePolicy().name).toBe("adaptive");
  });

  it("rejects thresholds outside (0.5, 1)", () => {
    for (const threshold of [0.5, 1, 0.2, 1.5, Number.NaN]) {
      const error = thrown(() => createAdaptivePolicy({ threshold }));
      expect(error, String(threshold)).toBeInstanceOf(PolicyConfigError);
      expect((error as PolicyConfigError).field).toBe("policy.params.threshold");
    }
  });
});

describe("policy registry", () => {
  it("lists the policies and defaults to adaptive", () => {
    expect(policyNames).toEqual([
      "majority",
      "weighted",
      "best-of-n",
      "adaptive",
      "esc",
      "deepconf",
      "prm-beam",
      "spec-reject",
      "first-verified",
    ]);
    for (const name of policyNames) expect(isPolicyName(name), name).toBe(true);
    expect(defaultPolicyName).toBe("adaptive");
    expect(isPolicyName("majority")).toBe(true);
    expect(isPolicyName("constructor")).toBe(false);
  });

  it("creates fresh policies by name with their parameters", () => {
    const adaptive = createPolicy("adaptive", { threshold: 0.9 });
    expect(adaptive.params).toEqual({ threshold: 0.9, dirichlet: 0, stopOnVerified: 0 });
    voteAll(adaptive, ["1", "1", "1"]);
    expect(adaptive.settled({ finished: 3, maxBranches: 10 }).settled).toBe(true);
    expect(createPolicy("adaptive", {}).consensus().votes).toEqual([]);
    expect(createPolicy("majority", {}).name).toBe("majority");
    for (const name of policyNames) {
      const policy = createPolicy(name, {});
      expect(policy.name).toBe(name);
      // Each call gives a fresh instance: votes in one never show in another.
      policy.vote(0, "x");
      expect(createPolicy(name, {}).consensus().votes, name).toEqual([]);
    }
  });

  it("rejects an unknown name, listing the known ones", () => {
    for (const name of ["best-of-N", "beam", "__proto__", "constructor", ""]) {
      const error = thrown(() => createPolicy(name, {}));
      expect(error).toBeInstanceOf(PolicyConfigError);
      expect(error).toBeInstanceOf(Error);
      expect((error as PolicyConfigError).field).toBe("policy.name");
      expect((error as PolicyConfigError).message).toBe(
        `unknown policy "${name}"; known policies: majority, weighted, best-of-n, adaptive, esc, deepconf, prm-beam, spec-reject, first-verified`,
      );
    }
  });

  it("rejects an unknown parameter, listing the accepted ones", () => {
    const error = thrown(() => createPolicy("adaptive", { threshold: 0.9, alpha: 1 })) as PolicyConfigError;
    expect(error.field).toBe("policy.params.alpha");
    expect(error.message).toBe('unknown parameter "alpha" for policy "adaptive"; accepted: threshold, dirichlet, stopOnVerified');
    const none = thrown(() => createPolicy("majority", { threshold: 0.9 })) as PolicyConfigError;
    expect(none.field).toBe("policy.params.threshold");
    expect(none.message).toBe('unknown parameter "threshold" for policy "majority"; it takes no parameters');
  });

  it("reports every policy's parameters with their defaults", () => {
    const defaults = Object.fromEntries(policyNames.map((name) => [name, createPolicy(name, {}).params]));
    expect(defaults).toEqual({
      majority: {},
      weighted: { unscoredWeight: 1 },
      "best-of-n": {},
      adaptive: { threshold: 0.95, dirichlet: 0, stopOnVerified: 0 },
      esc: { window: 5 },
      deepconf: { warmup: 16, eta: 90, threshold: 0.95 },
      "prm-beam": { beam: 4 },
      "spec-reject": { rejectionRate: 0.5, checkpointTokens: 256 },
      "first-verified": {},
    });
    expect(createPolicy("esc", { window: 3 }).params).toEqual({ window: 3 });
    expect(createPolicy("spec-reject", { rejectionRate: 0.25 }).params).toEqual({ rejectionRate: 0.25, checkpointTokens: 256 });
  });

  it("names the accepted parameters of each policy", () => {
    const accepted: Record<string, string> = {
      weighted: "accepted: unscoredWeight",
      esc: "accepted: window",
      deepconf: "accepted: warmup, eta, threshold",
      "prm-beam": "accepted: beam",
      "spec-reject": "accepted: rejectionRate, checkpointTokens",
      "best-of-n": "it takes no parameters",
      "first-verified": "it takes no parameters",
    };
    for (const [name, list] of Object.entries(accepted)) {
      const error = thrown(() => createPolicy(name, { nope: 1 })) as PolicyConfigError;
      expect(error.message).toBe(`unknown parameter "nope" for policy "${name}"; ${list}`);
    }
  });

  it("names the offending parameter of an out-of-range value for every policy", () => {
    const bad: Array<[string, Record<string, number>]> = [
      ["weighted", { unscoredWeight: -1 }],
      ["adaptive", { dirichlet: 3 }],
      ["esc", { window: 0 }],
      ["deepconf", { warmup: 1.5 }],
      ["deepconf", { eta: 101 }],
      ["prm-beam", { beam: 0 }],
      ["spec-reject", { rejectionRate: 1 }],
      ["spec-reject", { checkpointTokens: 0 }],
    ];
    for (const [name, params] of bad) {
      const error = thrown(() => createPolicy(name, params)) as PolicyConfigError;
      expect(error, name).toBeInstanceOf(PolicyConfigError);
      expect(error.field).toBe(`policy.params.${Object.keys(params)[0]}`);
    }
  });

  it("rejects an out-of-range value", () => {
    const error = thrown(() => createPolicy("adaptive", { threshold: 1 })) as PolicyConfigError;
    expect(error).toBeInstanceOf(PolicyConfigError);
    expect(error.name).toBe("PolicyConfigError");
    expect(error.field).toBe("policy.params.threshold");
  });
});
