/**
 * @ttc/cli as a library: the local cluster launcher, which the test harness and the integration tests
 * start clusters and services with. The `ttc` command itself is `main.ts`.
 */
export { spawnService, startLocalCluster } from "./local-cluster.js";
export type { LocalCluster, LocalClusterOptions, ServiceProcess } from "./local-cluster.js";
export { addConnectionFlags, connectionOptions } from "./connection-flags.js";
export type { ConnectionFlags } from "./connection-flags.js";
