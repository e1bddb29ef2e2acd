/** The ttc worker as a library (used by tests and by embedding). */
export * from "./backend.js";
export * from "./backends/sim.js";
export * from "./branch-runner.js";
export * from "./config.js";
export * from "./metrics.js";
export * from "./worker.js";
export * from "./backends/replay.js";
export * from "./backends/openai.js";
export * from "./backends/llama.js";
export { writeTinyLlama } from "./backends/gguf/tiny-llama.js";
