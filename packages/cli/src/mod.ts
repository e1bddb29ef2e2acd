/** The ttc command line as a library: the local cluster launcher and the solve client. */
export * from "./local-cluster.js";
export * from "./progress-view.js";
export * from "./solve.js";
