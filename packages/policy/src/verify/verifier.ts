import type { AnswerFormatName } from "../types.js";
import { resumedArithmetic } from "./arith.js";
import { createConfidenceVerifier, type ConfidenceSnapshot } from "./confidence.js";
import { createRecordedVerifier, type RecordedScores } from "./recorded.js";
import { readsNothing } from "./resume.js";
import { createRuleVerifier } from "./rule.js";

/** A trace to judge. Everything but `trace` and `final` is optional: verifiers use what they need. */
export interface VerifyInput {
  /** The branch's trace from `traceOffset` on. */
  trace: string;
  /** true once the branch has finished; false for a trace still being generated. */
  final: boolean;
  /**
   * Where `trace` starts in the branch's trace, in UTF-16 code units (0 or absent: the whole trace):
   * the offset of the continuation of this verifier's last judgement of the branch attempt.
   */
  traceOffset?: number;
  /** The `resume` of that continuation; absent or empty: start fresh. */
  resume?: string;
  /** The question; `rule` reads the Game-of-24 numbers from its `Input: a b c d` line. */
  prompt?: string;
  /** How the final answer is written. */
  format?: AnswerFormatName;
  /** Scores stored with a replayed trace (`recorded`). */
  recorded?: RecordedScores;
  /** Token-confidence statistics from the engine's logprobs, computed by the worker (`confidence`). */
  confidence?: ConfidenceSnapshot;
}

/**
 * How to call again for the same branch attempt: with the trace from `offset` on (UTF-16 code units,
 * at a code point boundary) and `resume` (opaque to the caller; see `resume.ts`).
 */
export interface Continuation {
  offset: number;
  resume: string;
}

/** A verifier's judgement. */
export interface VerifyOutput {
  /** 0..1, higher is better. */
  score: number;
  /** Per-step scores in 0..1, in order; empty when the verifier does not score steps. */
  stepScores: number[];
  /** true when the branch cannot succeed and may be pruned. */
  reject: boolean;
  /** Human-readable grounds for the judgement. */
  reason: string;
  /** true when an EXACT checker accepted the final answer (first-verified stops on it). */
  verified: boolean;
  /**
   * Present when the verifier reads incrementally: the next call sends only the trace from here on.
   * Absent: the next call sends the whole trace again (a verifier that is not incremental).
   */
  continuation?: Continuation;
}

/**
 * A pure trace verifier, shared by the scheduler (in-process) and the verifier service. Stateless: a
 * verifier that reads incrementally carries what it has read in its output's continuation, and a
 * resumed call judges exactly as a call with the whole trace would.
 */
export interface TraceVerifier {
  readonly name: string;
  /** true when it can judge partial traces */
  readonly partial: boolean;
  /** @throws ResumeError when the input starts after offset 0 without a resume state that fits it. */
  verify(input: VerifyInput): VerifyOutput;
}

/** Names {@link createVerifier} accepts. */
export const verifierNames = ["none", "arith", "rule", "recorded", "confidence", "prm", "judge"] as const;

/**
 * Verifiers that need an engine (a process reward model, an LLM judge). They are served only by the
 * verifier service, which holds the engine clients; the verifiers {@link createVerifier} returns for
 * them say whether they judge partial traces but refuse to verify in-process (inline mode).
 */
export const engineVerifierNames = ["prm", "judge"] as const;

/** A name from {@link verifierNames}. */
export type VerifierName = (typeof verifierNames)[number];

/** Accepts everything: the baseline with verification off. */
const noneVerifier: TraceVerifier = {
  name: "none",
  partial: false,
  verify: (input) => ({
    score: 1,
    stepScores: [],
    reject: false,
    reason: "not verified",
    verified: false,
    continuation: readsNothing(input),
  }),
};

/**
 * Checks every `a op b = c` exactly. One wrong equation rejects the branch: a slip propagates into
 * everything after it, so the branch's answer is unlikely to be right.
 */
const arithVerifier: TraceVerifier = {
  name: "arith",
  partial: true,
  verify(input) {
    const { check, continuation } = resumedArithmetic(input);
    const score = check.steps === 0 ? 1 : (check.steps - check.wrong) / check.steps;
    const reason =
      check.firstError ?? (check.steps === 0 ? "no equations to check" : `${check.steps} equation${check.steps === 1 ? "" : "s"} right`);
    return { score, stepScores: check.stepScores, reject: check.wrong > 0, reason, verified: false, continuation };
  },
};

/** Stands for an engine verifier outside the verifier service: it knows `partial` and refuses to verify. */
function engineOnlyVerifier(name: (typeof engineVerifierNames)[number], partial: boolean): TraceVerifier {
  return {
    name,
    partial,
    verify() {
      throw new Error(
        `verifier "${name}" needs an engine and is served only by the verifier service (TTC_VERIFIER_MODE=remote, with the engine configured on the verifier); it cannot run inline`,
      );
    },
  };
}

const verifiers: Record<VerifierName, TraceVerifier> = {
  none: noneVerifier,
  arith: arithVerifier,
  rule: createRuleVerifier(),
  recorded: createRecordedVerifier(),
  confidence: createConfidenceVerifier(),
  // A process reward model scores every step, so partial traces too; a judge only finished ones.
  prm: engineOnlyVerifier("prm", true),
  judge: engineOnlyVerifier("judge", false),
};

/**
 * The verifier called `name`, with its default settings (the `create*Verifier` factories take
 * others). Verifiers are stateless, so the same instance may be shared.
 * @throws Error listing the known names when `name` is not one of {@link verifierNames}.
 */
export function createVerifier(name: string): TraceVerifier {
  if (!isVerifierName(name)) throw new Error(`unknown verifier ${JSON.stringify(name)}; known: ${verifierNames.join(", ")}`);
  return verifiers[name];
}

function isVerifierName(name: string): name is VerifierName {
  return (verifierNames as readonly string[]).includes(name);
}
