/** The defaults `ttc up` and `ttc solve` show are the services' own, as the README documents them. */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));

/** The command's help, whitespace collapsed so line wrapping does not matter. */
function help(...args: string[]): string {
  const env = { ...process.env };
  delete env["TTC_ADDR"];
  delete env["TTC_GRPC_PORT"];
  return execFileSync(process.execPath, [main, ...args, "--help"], { env, encoding: "utf8" }).replace(/\s+/g, " ");
}

describe("ttc flag defaults", () => {
  it("ttc up defaults to the scheduler's ports and the worker's capacity and sim speed", () => {
    const text = help("up");
    expect(text).toContain("--capacity <n> branches per worker at once (default: 4)");
    expect(text).toContain("--grpc-port <port> scheduler gRPC port (default: $TTC_GRPC_PORT, else 50051)");
    expect(text).toContain("(scheduler; verifier +1; workers after) (default: 9101)");
    expect(text).toContain("(0 = as fast as possible) (default: 200)");
  });

  it("ttc solve calls a local scheduler on the default port", () => {
    expect(help("solve")).toContain('(TTC_ADDR sets the default) (default: "127.0.0.1:50051")');
  });
});
