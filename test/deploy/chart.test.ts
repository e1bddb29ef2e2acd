/**
 * The Helm chart in deploy/helm/ttc, rendered offline by a real `helm` over the defaults and every
 * values file in its ci/ folder: lint passes, every object validates against its Kubernetes or CRD
 * schema, the hardening holds, and values.schema.json refuses wrong values naming the field.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ciValuesFiles, prepareHelm, type Helm, type K8sObject } from "./helm.js";
import { validateObject } from "./validate.js";

let helm: Helm;
beforeAll(() => {
  helm = prepareHelm();
}, 60_000);

/** Whether an object is the ttc chart's own (not the NATS subchart's). */
const ours = (o: K8sObject) => o.metadata.labels?.["app.kubernetes.io/part-of"] === "ttc";
const podSpecOf = (o: K8sObject) => (o.kind === "Pod" ? o.spec : o.spec?.template?.spec);
const workloads = (objects: K8sObject[]) => objects.filter((o) => ours(o) && ["Deployment", "Pod"].includes(o.kind));

describe("the chart renders valid objects", () => {
  const matrix = () => [[], ...ciValuesFiles().map((f) => [f])];

  it("lints clean (strict) with the defaults and each ci/ values file", () => {
    for (const files of matrix()) expect(() => helm.lint(files), files.join() || "defaults").not.toThrow();
  });

  it("validates every rendered object against the Kubernetes and CRD schemas", async () => {
    const seen = new Set<string>();
    for (const files of matrix()) {
      const objects = helm.template(files);
      expect(objects.length).toBeGreaterThan(5);
      const problems = (await Promise.all(objects.map(validateObject))).flat();
      expect(problems, files.join() || "defaults").toEqual([]);
      for (const o of objects) seen.add(o.kind);
    }
    // The matrix reaches every kind the chart can make.
    for (const kind of ["Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "ServiceAccount"])
      expect(seen).toContain(kind);
    for (const kind of ["ScaledObject", "PodMonitor", "PrometheusRule", "StatefulSet"]) expect(seen).toContain(kind);
  }, 120_000);

  it("hardens every ttc container: non-root, read-only root, no capabilities, RuntimeDefault seccomp, no service-account token", () => {
    for (const files of matrix()) {
      for (const w of workloads(helm.template(files))) {
        const pod = podSpecOf(w);
        expect(pod.securityContext.seccompProfile.type, w.metadata.name).toBe("RuntimeDefault");
        expect(pod.automountServiceAccountToken, w.metadata.name).toBe(false);
        for (const c of pod.containers) {
          const sc = c.securityContext;
          expect(sc.allowPrivilegeEscalation, `${w.metadata.name}/${c.name}`).toBe(false);
          expect(sc.capabilities.drop, `${w.metadata.name}/${c.name}`).toEqual(["ALL"]);
          if (c.name === "engine") continue; // an engine image runs as root: its own settings, documented
          expect(sc.runAsNonRoot, `${w.metadata.name}/${c.name}`).toBe(true);
          expect(sc.readOnlyRootFilesystem, `${w.metadata.name}/${c.name}`).toBe(true);
          if (w.kind === "Deployment") expect(c.resources?.limits, `${w.metadata.name}/${c.name}`).toBeDefined();
        }
      }
    }
  });

  it("keeps secrets out of the chart: referenced by name, never rendered into a ConfigMap or an env value", () => {
    for (const files of matrix()) {
      const objects = helm.template(files).filter(ours);
      expect(objects.filter((o) => o.kind === "Secret")).toEqual([]);
      for (const w of workloads(objects))
        for (const c of podSpecOf(w).containers)
          for (const e of c.env ?? [])
            if (/PASSWORD$|API_KEY$|TOKEN$|SECRET$/.test(e.name)) expect(e.valueFrom?.secretKeyRef, `${c.name} ${e.name}`).toBeDefined();
    }
  });

  it("gives the scheduler a termination grace longer than its drain, gRPC probes, and two Services", () => {
    const objects = helm.template(["ci/default-values.yaml"], ["scheduler.drainGraceMs=20000"]);
    const scheduler = objects.find((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-scheduler"))!;
    const pod = podSpecOf(scheduler);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(20);
    expect(pod.containers[0].readinessProbe.grpc.port).toBe(50051);
    const services = objects.filter((o) => o.kind === "Service" && o.metadata.name.includes("scheduler"));
    expect(services.map((s) => s.spec.clusterIP ?? "ClusterIP").sort()).toEqual(["ClusterIP", "None"]);
  });

  it("lets only the scheduler's gRPC and OpenAI-compatible HTTP ports in from outside the release", () => {
    const policies = helm.template().filter((o) => o.kind === "NetworkPolicy");
    const ports = policies.flatMap((p) => (p.spec.ingress ?? []).flatMap((r: any) => (r.from ? [] : r.ports.map((x: any) => x.port)))); // eslint-disable-line @typescript-eslint/no-explicit-any
    // A rule without `from` admits anyone: only the scheduler's API ports have one.
    expect(ports).toEqual(["grpc", "http"]);
    for (const p of policies) expect(p.spec.policyTypes).toContain("Ingress");
  });

  it("scales a KEDA pool on the task stream's consumer lag", () => {
    const scaled = helm.template(["ci/keda-values.yaml"]).find((o) => o.kind === "ScaledObject")!;
    expect(scaled.spec.triggers[0]).toMatchObject({
      type: "nats-jetstream",
      metadata: { stream: "TTC_TASKS", consumer: "workers", natsServerMonitoringEndpoint: "ttc-test-nats-headless.ttc.svc:8222" },
    });
  });
});

describe("values.schema.json refuses wrong values, naming the field", () => {
  const cases: [string, string[], RegExp][] = [
    ["a misspelt key", ["schedular.replicas=3"], /schedular/],
    ["a wrong type", ["scheduler.replicas=two"], /scheduler\/replicas|scheduler\.replicas/],
    ["an unknown backend", ["workers.pools[0].name=a", "workers.pools[0].backend=gpu"], /pools\/0\/backend|backend/],
    ["a pool name that is not a DNS label", ["workers.pools[0].name=Big_Pool", "workers.pools[0].backend=sim"], /pools\/0\/name/],
    ["a namespace NATS cannot use", ["ttcNamespace=a.b"], /ttcNamespace/],
    ["an env name that is not a setting", ["scheduler.env.FOO=1"], /scheduler\/env|FOO/],
    ["an unknown log level", ["logLevel=loud"], /logLevel/],
    ["a NATS URL without its scheme", ["nats.enabled=false", "nats.external.url=nats.example:4222"], /external\/url/],
  ];
  for (const [what, set, field] of cases)
    it(`refuses ${what}`, () => {
      expect(helm.templateError([], set)).toMatch(field);
    });

  it("says what is missing when a value the chart needs is not given", () => {
    expect(helm.templateError([], ["nats.enabled=false"])).toMatch(/nats\.external\.url is required/);
    expect(helm.templateError([], ["workers.pools[0].name=gpu", "workers.pools[0].backend=openai"])).toMatch(
      /workers\.pools\[gpu\]\.openai\.baseUrl is required/,
    );
  });
});
