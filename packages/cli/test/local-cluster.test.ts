import { createWriteStream, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnService } from "../src/local-cluster.js";

describe("spawnService", () => {
  it("names a service that exits before it is ready, its log, and what it printed", async () => {
    const logPath = join(mkdtempSync(join(tmpdir(), "ttc-spawn-test-")), "worker.log");
    const log = createWriteStream(logPath);
    // Invalid settings: the worker exits 1 before it connects to anything.
    const failed = spawnService("worker-x", "@ttc/worker", { TTC_MAX_DELIVER: "0", TTC_HEARTBEAT_MS: "1" }, log);
    await expect(failed).rejects.toThrow(`worker-x exited with 1 before it was ready (see ${logPath})`);
    const message = String(await failed.catch((err: unknown) => err));
    expect(message).toMatch(/TTC_MAX_DELIVER/);
    expect(message).toMatch(/TTC_HEARTBEAT_MS/);
    log.end();
    await new Promise<void>((resolve) => log.once("finish", () => resolve()));
    expect(readFileSync(logPath, "utf8")).toMatch(/invalid configuration/);
  });
});
