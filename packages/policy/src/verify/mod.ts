/** Trace verification: exact arithmetic checks and the verifier contract built on them. Pure. */
export { checkArithmetic, type ArithCheck, type ArithOptions } from "./arith.js";
export { createVerifier, verifierNames, type TraceVerifier, type VerifierName, type VerifyInput, type VerifyOutput } from "./verifier.js";
