/**
 * Render and run: the chart's scheduler, worker and verifier Deployments (defaults) started as the
 * processes their containers would run, with exactly the environment the chart rendered: the only
 * change is that Service DNS names resolve to loopback (the NATS Service to a 3-node NATS cluster on
 * this machine, as the chart's bundled one is). Every probe the chart declares is then asked on the
 * port it names, a query runs through the scheduler, and the `helm test` pod's command passes. A
 * chart whose env names, ports or probe paths drift from the code fails here.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TtcClient } from "@ttc/client";
import type { LocalNatsCluster } from "@ttc/common";
import { healthStatus, startJetStreamCluster, until } from "@ttc/test-harness";
import { prepareHelm, repoRoot, type K8sObject } from "./helm.js";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Container = {
  name: string;
  command: string[];
  args?: string[];
  env?: any[];
  ports?: { name: string; containerPort: number }[];
  [probe: string]: any;
};

/** Replaces every Service DNS name the chart could have written (short, namespaced, .svc, cluster.local) with where it runs here. */
function resolveServices(value: string, services: Map<string, string>): string {
  let out = value;
  for (const [name, target] of services)
    out = out.replace(
      new RegExp(`\\b${name.replace(/\./g, "\\.")}(\\.ttc(\\.svc(\\.cluster\\.local)?)?)?:(\\d+)`, "g"),
      (_, _ns, _svc, _cl, port) => `${target}:${port}`,
    );
  return out;
}

/** The container's environment as the kubelet would give it: values, and the pod's name from the downward API. */
function containerEnv(c: Container, podName: string, services: Map<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = resolveServices(String(e.value), services);
    else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.name") env[e.name] = podName;
    else throw new Error(`${c.name}: env ${e.name} comes from ${JSON.stringify(e.valueFrom)}, which this test cannot provide`);
  }
  return env;
}

describe("the chart's Deployments, run as rendered", () => {
  let nats: LocalNatsCluster;
  const children: { name: string; child: ChildProcess; output: string[] }[] = [];
  const containers: { pod: string; c: Container }[] = [];
  let testPod: K8sObject;

  beforeAll(async () => {
    const objects = prepareHelm().template();
    nats = await startJetStreamCluster();
    // The bundled NATS's Service → one node of the local cluster (clients learn the others from it);
    // every ttc Service → loopback (its pods' ports are the container ports the chart sets).
    const services = new Map<string, string>();
    for (const s of objects.filter((o) => o.kind === "Service")) services.set(s.metadata.name, "127.0.0.1");
    const natsNode = nats.url.split(",")[0]!.replace("nats://", "");
    services.set("ttc-test-nats", natsNode.split(":")[0]!);
    const natsPort = natsNode.split(":")[1]!;
    const deployments = objects.filter((o) => o.kind === "Deployment" && o.metadata.labels?.["app.kubernetes.io/part-of"] === "ttc");
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(["ttc-test-scheduler", "ttc-test-verifier", "ttc-test-worker-sim"]);
    testPod = objects.find(
      (o) =>
        o.kind === "Pod" &&
        o.metadata.annotations?.["helm.sh/hook"] === "test" &&
        o.metadata.labels?.["app.kubernetes.io/part-of"] === "ttc",
    )!;
    const bin = join(repoRoot, "node_modules/.bin");
    for (const d of deployments)
      for (const c of d.spec.template.spec.containers as Container[]) {
        const pod = `${d.metadata.name}-0`;
        const env = containerEnv(c, pod, services);
        // The NATS Service's port is the chart's 4222; here the node listens elsewhere.
        if (env["TTC_NATS_URL"]) env["TTC_NATS_URL"] = env["TTC_NATS_URL"].replace(/:4222\b/, `:${natsPort}`);
        const output: string[] = [];
        const child = spawn(c.command[0]!, [...c.command.slice(1), ...(c.args ?? [])], {
          env: { PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`, ...env },
          stdio: ["ignore", "pipe", "pipe"],
        });
        child.stdout!.on("data", (b: Buffer) => output.push(b.toString()));
        child.stderr!.on("data", (b: Buffer) => output.push(b.toString()));
        children.push({ name: pod, child, output });
        containers.push({ pod, c });
      }
  }, 90_000);

  afterAll(async () => {
    await Promise.all(
      children.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
            setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
          }),
      ),
    );
    await nats?.stop();
  }, 30_000);

  const portOf = (c: Container, port: string | number) =>
    typeof port === "number" ? port : c.ports!.find((p) => p.name === port)!.containerPort;

  it("sets only settings the service reads (a misspelt name would be silently ignored)", () => {
    const sourceOf = (command: string) =>
      ({ "ttc-scheduler": "services/scheduler", "ttc-worker": "services/worker", "ttc-verifier": "services/verifier" })[command];
    for (const { pod, c } of containers) {
      const dir = sourceOf(c.command[0]!);
      expect(dir, `${pod}: unknown command ${c.command[0]}`).toBeDefined();
      const read = new Set(
        [join(repoRoot, dir!, "src/config.ts"), join(repoRoot, "packages/common/src/config.ts")].flatMap(
          (f) => readFileSync(f, "utf8").match(/(TTC|OTEL)_[A-Z0-9_]+/g) ?? [],
        ),
      );
      const unread = (c.env ?? [])
        .map((e: { name: string }) => e.name)
        .filter((n: string) => !read.has(n) && !read.has(n.replace(/_FILE$/, "")));
      expect(unread, pod).toEqual([]);
    }
  });

  it("passes every probe the chart declares, on the port and path it names", async () => {
    try {
      for (const { pod, c } of containers)
        for (const kind of ["startupProbe", "livenessProbe", "readinessProbe"]) {
          const p = c[kind];
          if (!p) continue;
          if (p.grpc)
            await until(
              () =>
                healthStatus(`127.0.0.1:${p.grpc.port}`, p.grpc.service ?? "").then(
                  (s) => (s === "SERVING" ? true : undefined),
                  () => undefined,
                ),
              30_000,
              `${pod} ${kind} gRPC :${p.grpc.port}`,
            );
          else {
            const url = `http://127.0.0.1:${portOf(c, p.httpGet.port)}${p.httpGet.path}`;
            await until(
              () =>
                fetch(url).then(
                  (r) => (r.status === 200 ? true : undefined),
                  () => undefined,
                ),
              30_000,
              `${pod} ${kind} ${url}`,
            );
          }
        }
    } catch (err) {
      for (const { name, output, child } of children)
        console.error(`--- ${name} (exit ${child.exitCode ?? child.signalCode})\n${output.join("").slice(-2000)}`);
      throw err;
    }
  }, 120_000);

  it("answers a query through the scheduler's Service port", async () => {
    const scheduler = containers.find((x) => x.c.name === "scheduler")!.c;
    const client = new TtcClient(`127.0.0.1:${portOf(scheduler, "grpc")}`, { timeoutMs: 30_000 });
    const result = await client.solve({ prompt: "sim puzzle 3", maxBranches: 4, seed: 7 });
    client.close();
    expect(result.answer).not.toBe("");
    expect(result.compute!.branchesLaunched).toBeGreaterThan(0);
  }, 60_000);

  it("answers an OpenAI chat completion on the scheduler's HTTP port", async () => {
    const scheduler = containers.find((x) => x.c.name === "scheduler")!.c;
    const response = await fetch(`http://127.0.0.1:${portOf(scheduler, "http")}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "ttc", n: 4, seed: 7, messages: [{ role: "user", content: "sim puzzle 3" }] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { ttc: { answer: string } };
    expect(body.ttc.answer).not.toBe("");
  }, 60_000);

  it("passes the `helm test` pod's own command", async () => {
    const c = testPod.spec.containers[0] as Container;
    const args = (c.args ?? []).map((a) => a.replace(/^--addr=ttc-test-scheduler:/, "--addr=127.0.0.1:"));
    const out: string[] = [];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(c.command[0]!, args, {
        env: { PATH: `${join(repoRoot, "node_modules/.bin")}:${dirname(process.execPath)}:/usr/bin:/bin` },
      });
      child.stdout.on("data", (b: Buffer) => out.push(b.toString()));
      child.stderr.on("data", (b: Buffer) => out.push(b.toString()));
      child.once("exit", resolve);
    });
    expect(code, out.join("")).toBe(0);
    expect(JSON.parse(out.join("")).answer).not.toBe("");
  }, 60_000);
});
