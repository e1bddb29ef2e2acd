/** @ttc/test-harness: Test fixtures only: a real nats-server, real service processes, a real Prometheus, a fake OpenAI-compatible engine and a tiny GGUF model writer. Never imported by production code. */
export {};
