/**
 * Throw-away NATS credentials for a local cluster: one nkey per role (one per worker, so each can
 * heartbeat only as itself and read only its own replies), seeds written to files only the owner
 * can read, and the users the local nats-server admits, each with its role's permissions.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUser } from "@nats-io/nkeys";
import { rolePermissions, wireNames, type LocalNatsUser, type ServiceRole } from "@ttc/common";

export interface LocalNatsCredentials {
  /** Where the seed files are. */
  dir: string;
  /** The users for the nats-server configuration. */
  users: LocalNatsUser[];
  /** The seed file of a role's credentials (a worker's by its id). @throws Error for a worker it made none for */
  seedFile(role: ServiceRole, workerId?: string): string;
}

/** Makes credentials for the schedulers, the verifier and the workers `workerIds` of `namespace`. */
export function makeLocalNatsCredentials(namespace: string, workerIds: readonly string[]): LocalNatsCredentials {
  const names = wireNames(namespace);
  const dir = mkdtempSync(join(tmpdir(), "ttc-nats-creds-"));
  const users: LocalNatsUser[] = [];
  const seeds = new Map<string, string>();
  const add = (key: string, role: ServiceRole, workerId?: string) => {
    const pair = createUser();
    const file = join(dir, `${key}.nk`);
    writeFileSync(file, `${new TextDecoder().decode(pair.getSeed())}\n`, { mode: 0o600 });
    seeds.set(key, file);
    users.push({ nkey: pair.getPublicKey(), permissions: rolePermissions(names, role, workerId) });
  };
  add("scheduler", "scheduler");
  add("verifier", "verifier");
  for (const id of workerIds) add(`worker-${id}`, "worker", id);
  return {
    dir,
    users,
    seedFile(role, workerId) {
      const file = seeds.get(role === "worker" ? `worker-${workerId}` : role);
      if (!file) throw new Error(`no NATS credentials were made for ${role} ${workerId ?? ""}`.trim());
      return file;
    },
  };
}
