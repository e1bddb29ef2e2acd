import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { ServiceError } from "../src/errors.js";
import { loadTenants, TenantQuotas } from "../src/tenants.js";

const file = (content: string) => {
  const path = join(mkdtempSync(join(tmpdir(), "ttc-tenants-")), "tenants.json");
  writeFileSync(path, content);
  return path;
};

function refusal(f: () => unknown): ServiceError {
  try {
    f();
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error("not refused");
}

describe("tenant quotas", () => {
  const tenants = loadTenants(file(JSON.stringify({ tenants: { "team-a": { maxConcurrentQueries: 2, maxBranches: 8 }, "team-b": {} } })));

  it("refuses a query past its tenant's concurrent queries until one ends, and counts by label", () => {
    const seen: [string, number][] = [];
    const quotas = new TenantQuotas(tenants, { inFlightChanged: (label, n) => seen.push([label, n]) });
    const first = quotas.take("team-a", 4);
    quotas.take("team-a", 4);
    const err = refusal(() => quotas.take("team-a", 4));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.message).toBe("tenant team-a is at its limit of 2 concurrent queries; retry with backoff");
    first();
    first(); // releasing twice frees one place only
    quotas.take("team-a", 4);
    expect(() => quotas.take("team-a", 4)).toThrow(/at its limit/);
    // Unlisted callers have no tenant limit and share the label "other".
    for (let i = 0; i < 5; i++) quotas.take(`caller-${i}`, 100);
    expect(seen.at(-1)).toEqual(["other", 5]);
    expect(seen.filter(([l]) => l === "team-a").map(([, n]) => n)).toEqual([1, 2, 1, 2]);
  });

  it("refuses more branches than the tenant may ask for, naming the field", () => {
    const err = refusal(() => new TenantQuotas(tenants).take("team-a", 9));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.message).toBe("max_branches: 9 is over tenant team-a's limit of 8");
  });

  it("refuses a tenant's new queries once its token budget is spent, saying when to retry, and says once that its running queries must stop", () => {
    const budgets = loadTenants(file(JSON.stringify({ tenants: { metered: { tokensPerMinute: 6_000, burstTokens: 1_000 } } })));
    const charged: [string, number][] = [];
    const quotas = new TenantQuotas(budgets, { charged: (label, n) => charged.push([label, n]) }, 0);
    quotas.take("metered", 4, 0)();
    expect(quotas.charge("metered", 600, 0)).toBe(false);
    expect(quotas.charge("metered", 600, 0)).toBe(true); // this one emptied the bucket: stop the tenant's queries
    expect(quotas.charge("metered", 50, 0)).toBe(false); // already empty: said once
    const err = refusal(() => quotas.take("metered", 4, 1_000));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    // 250 tokens of debt less 100 refilled in the second, at 100 a second: 1.51 s more.
    expect(err.message).toBe("tenant metered has spent its budget of 6000 tokens a minute; retry in 1.5 s");
    expect(err.options?.retryDelayMs).toBe(1_510);
    quotas.take("metered", 4, 2_600)();
    // Other tenants have no budget, and their tokens are counted as "other".
    expect(quotas.charge("someone", 1e9, 0)).toBe(false);
    quotas.take("someone", 4, 0);
    expect(charged).toEqual([
      ["metered", 600],
      ["metered", 600],
      ["metered", 50],
      ["other", 1e9],
    ]);
  });

  it("refuses with PERMISSION_DENIED a verifier or model outside the tenant's lists, and unlisted tenants when the file says so", () => {
    const strict = loadTenants(
      file(
        JSON.stringify({
          allowUnlisted: false,
          tenants: { "team-a": { verifiers: ["arith", "rule"], models: ["", "qwen-7b"] }, "team-b": {} },
        }),
      ),
    );
    const quotas = new TenantQuotas(strict);
    quotas.permit("team-a", { verifier: "arith", model: "" });
    quotas.permit("team-b", { verifier: "judge", model: "anything" });
    const verifier = refusal(() => quotas.permit("team-a", { verifier: "judge", model: "" }));
    expect(verifier.code).toBe(status.PERMISSION_DENIED);
    expect(verifier.message).toBe('verifier: tenant team-a may not use "judge"; it may use arith, rule');
    expect(refusal(() => quotas.permit("team-a", { verifier: "arith", model: "llama-70b" })).message).toBe(
      'model: tenant team-a may not use "llama-70b"; it may use "", "qwen-7b"',
    );
    const stranger = refusal(() => quotas.permit("team-z", { verifier: "arith", model: "" }));
    expect(stranger.code).toBe(status.PERMISSION_DENIED);
    expect(stranger.message).toMatch(/^tenant team-z is not one of the tenants this scheduler serves/);
    // By default a caller the file does not list is served, with the scheduler's limits only.
    new TenantQuotas(tenants).permit("team-z", { verifier: "judge", model: "" });
  });

  it("a tenants file with a bad name or field is refused at start, naming it", () => {
    expect(() => loadTenants(file(JSON.stringify({ tenants: { "team a": {} } })))).toThrow(/tenants\.team a: a tenant is 1–64 letters/);
    expect(() => loadTenants(file(JSON.stringify({ tenants: { a: { maxBranchez: 3 } } })))).toThrow(/tenants\.a: .*maxBranchez/);
    expect(() => loadTenants(file("{"))).toThrow(/TTC_TENANTS_FILE: .* is not JSON/);
  });
});
