import { describe, expect, it } from "vitest";
import { EngineError } from "../src/engine-error.js";

describe("EngineError", () => {
  it("maps an engine's HTTP status to a gRPC code name, retryable only when waiting may help", () => {
    const cases: [number, string, boolean][] = [
      [400, "INVALID_ARGUMENT", false],
      [413, "INVALID_ARGUMENT", false],
      [422, "INVALID_ARGUMENT", false],
      [401, "FAILED_PRECONDITION", false],
      [403, "FAILED_PRECONDITION", false],
      [404, "FAILED_PRECONDITION", false],
      [429, "RESOURCE_EXHAUSTED", true],
      [500, "UNAVAILABLE", true],
      [502, "UNAVAILABLE", true],
      [503, "UNAVAILABLE", true],
    ];
    for (const [httpStatus, code, retryable] of cases) {
      const error = EngineError.fromHttpStatus(httpStatus, `HTTP ${httpStatus}`);
      expect({ httpStatus, code: error.code, retryable: error.retryable }).toEqual({ httpStatus, code, retryable });
      expect(error.httpStatus).toBe(httpStatus);
    }
  });

  it("defaults retryable from the code, and takes an explicit one, a cause and no HTTP status", () => {
    const cause = new Error("socket hang up");
    const unavailable = new EngineError("engine stalled", { code: "UNAVAILABLE", cause });
    expect(unavailable).toBeInstanceOf(Error);
    expect(unavailable).toMatchObject({ name: "EngineError", code: "UNAVAILABLE", retryable: true, httpStatus: undefined, cause });
    expect(new EngineError("overloaded", { code: "RESOURCE_EXHAUSTED" }).retryable).toBe(true);
    expect(new EngineError("prompt too long", { code: "INVALID_ARGUMENT" }).retryable).toBe(false);
    expect(new EngineError("no model file", { code: "FAILED_PRECONDITION" }).retryable).toBe(false);
    const unreadable = new EngineError("not JSON", { code: "UNAVAILABLE", retryable: false });
    expect(unreadable.retryable).toBe(false);
    expect("cause" in unreadable).toBe(false);
  });
});
