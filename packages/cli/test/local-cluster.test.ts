import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nodeFlagsOf, spawnService } from "../src/local-cluster.js";

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

describe("nodeFlagsOf", () => {
  it("starts every service with the node flags of its own #! line", () => {
    for (const pkg of ["@ttc/scheduler", "@ttc/worker", "@ttc/verifier"])
      expect(nodeFlagsOf(fileURLToPath(import.meta.resolve(`${pkg}/main`))), pkg).toEqual(["--min-semi-space-size=16"]);
  });

  it("reads no flags from a plain #! line or a file without one", () => {
    const dir = mkdtempSync(join(tmpdir(), "ttc-shebang-"));
    writeFileSync(join(dir, "plain.js"), "#!/usr/bin/env node\nconsole.log(1);\n");
    writeFileSync(join(dir, "none.js"), "console.log(1);\n");
    writeFileSync(join(dir, "two.js"), "#!/usr/bin/env -S node --max-old-space-size=512 --stack-trace-limit=50\n");
    expect(nodeFlagsOf(join(dir, "plain.js"))).toEqual([]);
    expect(nodeFlagsOf(join(dir, "none.js"))).toEqual([]);
    expect(nodeFlagsOf(join(dir, "two.js"))).toEqual(["--max-old-space-size=512", "--stack-trace-limit=50"]);
  });
});
