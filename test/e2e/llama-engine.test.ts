import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request, startTestCluster, type TestCluster, writeTinyLlama } from "@ttc/test-harness";

/**
 * A worker process with the in-process `llama` backend (node-llama-cpp) on a tiny random-weight GGUF
 * the test writes itself: the real loading and generation path behind a real query, no download.
 */
describe("workers on an in-process GGUF model (llama backend)", () => {
  let c: TestCluster;
  beforeAll(async () => {
    const model = join(mkdtempSync(join(tmpdir(), "ttc-gguf-")), "tiny.gguf");
    await writeTinyLlama(model);
    c = await startTestCluster({
      workers: 1,
      capacity: 3,
      env: { TTC_WORKER_BACKEND: "llama", TTC_LLAMA_MODEL: model, TTC_LLAMA_CONTEXT: "256", TTC_LLAMA_THREADS: "1" },
    });
  });
  afterAll(async () => c?.stop());

  it("runs branches as parallel sequences of one context and bills the engine's tokens", async () => {
    const r = await c.client.solve(
      request({
        prompt: "Say something.",
        maxBranches: 3,
        parallelism: 3,
        maxTokensPerBranch: 24,
        verifier: "none",
        policy: { name: "majority", params: {} },
      }),
      { timeoutMs: 60_000 },
    );
    expect(r.branches).toHaveLength(3);
    for (const b of r.branches) {
      expect(b.tokens).toBeGreaterThan(0);
      expect(b.tokens).toBeLessThanOrEqual(24);
      expect(b.workerId).toBe("worker-1");
    }
    expect(r.compute!.generatedTokens).toBe(r.branches.reduce((s, b) => s + b.tokens, 0));
    expect(r.compute!.promptTokens).toBeGreaterThan(0);
  });
});
