/**
 * `ttc nats-permissions`: what each role may do on NATS, printed for an operator's own server — as a
 * nats-server `permissions` block, or as the `nsc add user` command of a user JWT in an account
 * (production: operator mode, one user per worker so each is bound to its heartbeat and its inbox).
 * The same permissions `ttc up` gives its local server, from one definition.
 */
import type { Command } from "commander";
import { defaultNamespace, rolePermissions, wireNames, type NatsPermissions, type ServiceRole } from "@ttc/common";

const roles: readonly ServiceRole[] = ["scheduler", "worker", "verifier"];

/** The `nsc add user` command that gives the user `name` these permissions. */
export function nscAddUser(name: string, account: string, p: NatsPermissions): string {
  const flags = [
    ...(p.publish.allow ?? []).map((s) => `--allow-pub '${s}'`),
    ...(p.publish.deny ?? []).map((s) => `--deny-pub '${s}'`),
    ...(p.subscribe.allow ?? []).map((s) => `--allow-sub '${s}'`),
    ...(p.subscribe.deny ?? []).map((s) => `--deny-sub '${s}'`),
    ...(p.allow_responses ? ["--allow-pub-response"] : []),
  ];
  return [`nsc add user --account ${account} --name ${name}`, ...flags].join(" \\\n    ");
}

/** Adds `ttc nats-permissions` to the program. */
export function registerNatsPermissionsCommand(program: Command): void {
  program
    .command("nats-permissions")
    .description("print the NATS permissions of a role, for a nats-server config or as an nsc command")
    .requiredOption("--role <role>", `one of ${roles.join(", ")}`)
    .option("--worker-id <id>", "the worker's TTC_WORKER_ID (workers only: its heartbeat subject and inbox)")
    .option("--namespace <ns>", "the cluster's TTC_NAMESPACE", defaultNamespace)
    .option("--format <format>", "conf (a nats-server permissions block, JSON) or nsc (an `nsc add user` command)", "conf")
    .option("--account <name>", "the account of the nsc user", "TTC")
    .action((o: { role: string; workerId?: string; namespace: string; format: string; account: string }) => {
      if (!(roles as readonly string[]).includes(o.role)) throw new Error(`--role: "${o.role}" is not one of ${roles.join(", ")}`);
      const role = o.role as ServiceRole;
      if (role === "worker" && !o.workerId) throw new Error("--worker-id: a worker's permissions are bound to its id");
      if (o.format !== "conf" && o.format !== "nsc") throw new Error(`--format: "${o.format}" is not conf or nsc`);
      const permissions = rolePermissions(wireNames(o.namespace), role, o.workerId);
      const user = role === "worker" ? o.workerId! : role;
      console.log(o.format === "conf" ? JSON.stringify({ permissions }, null, 2) : nscAddUser(user, o.account, permissions));
    });
}
