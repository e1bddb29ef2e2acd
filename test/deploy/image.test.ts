/**
 * The container image without a container engine (none runs on this machine): the Dockerfile's
 * runtime stage is carried out in a directory standing in for the image's root: its COPY lines
 * (from the build stage: this tree, built), its RUN lines with `/app` and `/usr/local/bin` moved
 * into the directory (so `npm ci --omit=dev` installs exactly what the image gets, from the lock
 * file), then each entrypoint the chart runs starts from there, with nothing of this tree on its
 * path, and a query runs through them. A Dockerfile that leaves out a file or a dependency fails here.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TtcClient } from "@ttc/client";
import { request, startNats, type NatsFixture } from "@ttc/test-harness";
import { repoRoot } from "./helm.js";

/** The runtime stage's instructions, in order. */
function runtimeStage(): { op: "COPY" | "RUN" | "ENV" | "WORKDIR"; args: string }[] {
  const text = readFileSync(join(repoRoot, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
  const lines = text.split("\n").map((l) => l.trim());
  const from = lines.findIndex((l) => /^FROM .* AS runtime$/i.test(l));
  expect(from, "the Dockerfile has a stage named runtime").toBeGreaterThan(0);
  return lines
    .slice(from + 1)
    .filter((l) => /^(COPY|RUN|ENV|WORKDIR) /.test(l))
    .map((l) => ({ op: l.split(" ")[0] as "COPY", args: l.slice(l.indexOf(" ") + 1).trim() }));
}

describe("the image's runtime file set (the Dockerfile's runtime stage, carried out in a directory)", () => {
  let root: string;
  let nats: NatsFixture;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "ttc-image-"));
    const app = join(root, "app");
    const bin = join(root, "usr/local/bin");
    mkdirSync(app, { recursive: true });
    mkdirSync(bin, { recursive: true });
    for (const { op, args } of runtimeStage()) {
      if (op === "WORKDIR") expect(args).toBe("/app");
      else if (op === "COPY") {
        const parts = args.split(/\s+/);
        const fromBuild = parts[0] === "--from=build";
        const paths = fromBuild ? parts.slice(1) : parts;
        const dst = paths.at(-1)!;
        for (const src of paths.slice(0, -1).map((p) => p.replace(/^\/src\//, ""))) {
          const from = join(repoRoot, src);
          // Docker's rules: a file copied to a path ending in "/" lands inside it; a directory's contents are copied.
          const to = dst.endsWith("/") && statSync(from).isFile() ? join(app, dst, basename(src)) : join(app, dst);
          cpSync(from, to, {
            recursive: true,
            // The build stage's output: sources and dist, never this tree's node_modules.
            filter: (p) => !p.includes("/node_modules") && !p.endsWith(".tsbuildinfo"),
          });
        }
      } else if (op === "RUN") {
        const command = args.replace(/\/usr\/local\/bin/g, bin).replace(/\/app\b/g, app);
        const r = spawnSync("sh", ["-c", `${command.replace(/npm ci /, "npm ci --prefer-offline ")}`], { cwd: app, encoding: "utf8" });
        expect(r.status, `RUN ${args}\n${r.stderr}`).toBe(0);
      }
    }
    nats = await startNats();
  }, 300_000);

  afterAll(async () => {
    for (const c of children) c.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    await nats?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("installs no workspace the services do not need, and no dev dependency", () => {
    const lock = JSON.parse(readFileSync(join(root, "app/package-lock.json"), "utf8"));
    expect(lock.packages).toBeDefined();
    // (typescript comes in as node-llama-cpp's optional peer, which npm installs with optional dependencies.)
    for (const dev of [
      "vitest",
      "turbo",
      "prettier",
      "ts-proto",
      "@bufbuild/buf",
      "testcontainers",
      "kubernetes-models",
      "@aws-cdk/lambda-layer-kubectl-v34",
    ])
      expect(() => readFileSync(join(root, "app/node_modules", dev, "package.json")), dev).toThrow();
  });

  it("starts every entrypoint from the image's files alone and answers a query", async () => {
    const bin = join(root, "usr/local/bin");
    // Only the image's own bin and node itself: nothing of this tree.
    const PATH = `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`;
    const help = spawnSync(join(bin, "ttc"), ["--help"], { encoding: "utf8", env: { PATH } });
    expect(help.status, help.stderr).toBe(0);
    const env = { PATH, NODE_ENV: "production", TTC_NATS_URL: nats.url, TTC_NAMESPACE: "img", TTC_GRPC_PORT: "0", TTC_METRICS_PORT: "0" };
    const start = (name: string, extra: Record<string, string>) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const announce = join(root, `${name}.json`);
        const child = spawn(join(bin, name), [], {
          env: { ...env, ...extra, TTC_ANNOUNCE_FILE: announce },
          stdio: ["ignore", "ignore", "pipe"],
        });
        children.push(child);
        let err = "";
        child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
        child.once("exit", (code) => reject(new Error(`${name} exited ${code}: ${err.slice(-1000)}`)));
        const poll = setInterval(() => {
          try {
            const ready = JSON.parse(readFileSync(announce, "utf8"));
            clearInterval(poll);
            resolve(ready);
          } catch {
            // not announced yet
          }
        }, 100);
      });
    const scheduler = await start("ttc-scheduler", {});
    await start("ttc-verifier", {});
    await start("ttc-worker", { TTC_WORKER_ID: "image-worker" });
    const client = new TtcClient(String(scheduler["grpc"]), { timeoutMs: 30_000 });
    const result = await client.solve(request({ maxBranches: 4 }));
    client.close();
    expect(result.answer).not.toBe("");
  }, 120_000);
});
