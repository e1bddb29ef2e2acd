import { answerFormatLabel, type AnswerFormatLabel, type VerifyRequest, type VerifyResponse } from "@ttc/proto";

/** What the pure verifiers take (structurally the reasoning core's `VerifyInput`). */
export interface VerifierInput {
  trace: string;
  final: boolean;
  prompt: string;
  format?: AnswerFormatLabel;
  recorded: { score?: number; stepScores?: number[] };
  confidence?: { tokens: number; meanLogprob: number; lowestGroupConfidence: number; tailGroupConfidence: number };
}

/** The pure verifiers' input from a verify request: one mapping for the scheduler (inline) and the verifier service. */
export function verifyInput(r: VerifyRequest): VerifierInput {
  const format = answerFormatLabel(r.answerFormat);
  return {
    trace: r.trace,
    final: r.final,
    prompt: r.prompt,
    ...(format ? { format } : {}),
    recorded: {
      ...(r.recordedScore !== undefined ? { score: r.recordedScore } : {}),
      ...(r.recordedStepScores.length > 0 ? { stepScores: r.recordedStepScores } : {}),
    },
    ...(r.confidence && r.confidence.tokens > 0 ? { confidence: { ...r.confidence } } : {}),
  };
}

/** The answer when a trace could not be scored: no score, no verdict, and why. */
export function unscored(error: string): VerifyResponse {
  return { score: -1, stepScores: [], reject: false, reason: "", verified: false, error };
}
