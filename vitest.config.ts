import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "services/*/test/**/*.test.ts", "test/**/*.test.ts", "loadtest/test/**/*.test.ts"],
    // Integration tests start real nats-server and service processes: give them room, and keep
    // files in separate forks so a crashed fixture cannot leak into the next file.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
