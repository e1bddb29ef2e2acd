/**
 * Validates rendered objects against the Kubernetes schemas and the CRD schemas they use, with
 * `kubernetes-models` and its KEDA and prometheus-operator packages: each object's model is found
 * from its apiVersion and kind, and an object whose kind no package knows is an error too.
 */
import type { K8sObject } from "./helm.js";

const crdPackages: Record<string, string> = {
  "keda.sh": "@kubernetes-models/keda",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};

/** The problems of one object (empty when it is valid). */
export async function validateObject(o: K8sObject): Promise<string[]> {
  const where = `${o.kind}/${o.metadata?.name}`;
  const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
  const pkg =
    group && crdPackages[group!] ? `${crdPackages[group!]}/${group}/${version}` : `kubernetes-models/${group ? `${group}/` : ""}${version}`;
  let model: (new (data: unknown) => { validate(): void }) | undefined;
  try {
    model = (await import(pkg))[o.kind];
  } catch (err) {
    return [`${where}: no schema for ${o.apiVersion} (${(err as Error).message})`];
  }
  if (!model) return [`${where}: no schema for kind ${o.kind} in ${o.apiVersion}`];
  try {
    new model(o).validate();
    return [];
  } catch (err) {
    return [`${where}: ${(err as Error).message}`];
  }
}
