import { answerFormatLabel, type AnswerFormatLabel, type VerifyRequest, type VerifyResponse } from "@ttc/proto";

/** What the pure verifiers take (structurally the reasoning core's `VerifyInput`). */
export interface VerifierInput {
  trace: string;
  final: boolean;
  traceOffset: number;
  resume: string;
  prompt: string;
  format?: AnswerFormatLabel;
  recorded: { score?: number; stepScores?: number[] };
  confidence?: { tokens: number; meanLogprob: number; lowestGroupConfidence: number; tailGroupConfidence: number };
}

/** What the pure verifiers answer (structurally the reasoning core's `VerifyOutput`). */
export interface VerifierOutput {
  score: number;
  stepScores: number[];
  reject: boolean;
  reason: string;
  verified: boolean;
  continuation?: { offset: number; resume: string };
}

/** The pure verifiers' input from a verify request: one mapping for the scheduler (inline) and the verifier service. */
export function verifyInput(r: VerifyRequest): VerifierInput {
  const format = answerFormatLabel(r.answerFormat);
  return {
    trace: r.trace,
    final: r.final,
    traceOffset: r.traceOffset,
    // The verifiers write their resume state as text; the wire keeps it opaque bytes (UTF-8).
    resume: r.resume.toString("utf8"),
    prompt: r.prompt,
    ...(format ? { format } : {}),
    recorded: {
      ...(r.recordedScore !== undefined ? { score: r.recordedScore } : {}),
      ...(r.recordedStepScores.length > 0 ? { stepScores: r.recordedStepScores } : {}),
    },
    ...(r.confidence && r.confidence.tokens > 0 ? { confidence: { ...r.confidence } } : {}),
  };
}

/**
 * The verify response for a pure verifier's judgement: the inverse mapping, for the scheduler (inline),
 * the verifier service and the evaluator. Without a continuation the next request sends the whole trace.
 */
export function verifyResponse(out: VerifierOutput): VerifyResponse {
  const { score, stepScores, reject, reason, verified, continuation } = out;
  return {
    score,
    stepScores,
    reject,
    reason,
    verified,
    error: "",
    resumeOffset: continuation?.offset ?? 0,
    resume: Buffer.from(continuation?.resume ?? "", "utf8"),
    fallback: "",
  };
}

/** The answer when a trace could not be scored: no score, no verdict, and why. The next request starts over with the whole trace. */
export function unscored(error: string): VerifyResponse {
  return {
    score: -1,
    stepScores: [],
    reject: false,
    reason: "",
    verified: false,
    error,
    resumeOffset: 0,
    resume: Buffer.alloc(0),
    fallback: "",
  };
}
