import { describe, expect, it } from "vitest";
import { RequestRecord, RequestRecord_State, SolveRequest, SolveResult } from "@ttc/proto";
import { planRetry } from "../src/request-retry.js";
import { requestFingerprint, requestKey } from "../src/request-records.js";

const request = SolveRequest.create({
  prompt: "What is 6 × 7?",
  seed: 7,
  requestId: "r-1",
  policy: { name: "adaptive", params: { a: 1, b: 2 } },
});
const fingerprint = requestFingerprint(request);
const record = (over: Partial<RequestRecord>) =>
  RequestRecord.create({ state: RequestRecord_State.STATE_RUNNING, fingerprint, seed: 7, ownerSchedulerId: "s1", ...over });
const alive = () => false;
const dead = () => true;

describe("a retried request: what its record says to do", () => {
  it("runs a request with no record as new", () => {
    expect(planRetry(undefined, fingerprint, "s2", alive)).toEqual({ kind: "new" });
  });

  it("refuses the same id for a different request", () => {
    const other = requestFingerprint({ ...request, prompt: "What is 6 × 8?" });
    expect(planRetry(record({}), other, "s2", alive)).toEqual({ kind: "conflict" });
  });

  it("returns the stored result of a request that answered", () => {
    const result = SolveResult.create({ queryId: "q", answer: "42" });
    expect(planRetry(record({ state: RequestRecord_State.STATE_ANSWERED, result }), fingerprint, "s2", alive)).toEqual({
      kind: "answered",
      result,
    });
  });

  it("waits for a live scheduler running it, and resumes one whose scheduler fell silent", () => {
    expect(planRetry(record({}), fingerprint, "s2", alive)).toEqual({ kind: "wait", owner: "s1" });
    expect(planRetry(record({}), fingerprint, "s2", dead)).toEqual({ kind: "resume" });
  });

  it("resumes its own record when it has no run of it (it restarted under the same id)", () => {
    expect(planRetry(record({}), fingerprint, "s1", alive)).toEqual({ kind: "resume" });
  });

  it("resumes a request whose run ended without an answer to keep", () => {
    expect(planRetry(record({ state: RequestRecord_State.STATE_ABANDONED }), fingerprint, "s2", alive)).toEqual({ kind: "resume" });
  });
});

describe("request keys and fingerprints", () => {
  it("keys a request_id per tenant, as a valid bucket key whatever the id", () => {
    expect(requestKey("acme", "r-1")).not.toBe(requestKey("globex", "r-1"));
    expect(requestKey("acme", "a.b>*\u0000 é")).toMatch(/^[0-9a-f]{40}$/);
  });

  it("fingerprints what is asked, not the request_id or the order of policy params", () => {
    const reordered = { ...request, requestId: "r-2", policy: { name: "adaptive", params: { b: 2, a: 1 } } };
    expect(requestFingerprint(reordered).equals(fingerprint)).toBe(true);
    expect(requestFingerprint({ ...request, seed: 8 }).equals(fingerprint)).toBe(false);
    expect(requestFingerprint({ ...request, policy: { name: "adaptive", params: { a: 1, b: 3 } } }).equals(fingerprint)).toBe(false);
  });
});
