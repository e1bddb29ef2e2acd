import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/config.js";
import { redactUrl, withSecretFiles } from "../src/secrets.js";

describe("redactUrl", () => {
  it("hides user and password, keeps where it points", () => {
    expect(redactUrl("nats://ttc:s3cret@10.0.0.1:4222")).toBe("nats://***@10.0.0.1:4222");
    expect(redactUrl("http://key:x@engine:8000/v1")).toBe("http://***@engine:8000/v1");
    expect(redactUrl("nats://token@host:4222")).toBe("nats://***@host:4222");
  });

  it("redacts every server of a NATS list, and leaves URLs without credentials alone", () => {
    expect(redactUrl("nats://a:1@h1:4222, nats://h2:4222")).toBe("nats://***@h1:4222, nats://h2:4222");
    expect(redactUrl("http://127.0.0.1:8000/v1")).toBe("http://127.0.0.1:8000/v1");
  });

  it("hides what looks like credentials in text that is not a URL", () => {
    expect(redactUrl("//user:pw@ no url")).toBe("//***@ no url");
  });
});

describe("withSecretFiles", () => {
  const dir = mkdtempSync(join(tmpdir(), "ttc-sf-"));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it("reads a secret from its _FILE variant, dropping one trailing newline", () => {
    const env = withSecretFiles({ TTC_OPENAI_API_KEY_FILE: file("key", "sk-123\n"), OTHER: "x" }, ["TTC_OPENAI_API_KEY"]);
    expect(env["TTC_OPENAI_API_KEY"]).toBe("sk-123");
    expect(env["OTHER"]).toBe("x");
  });

  it("refuses both forms, an unreadable file and an empty one, naming the setting and never the secret", () => {
    let caught: unknown;
    try {
      withSecretFiles(
        {
          A: "inline-secret",
          A_FILE: file("a", "file-secret"),
          B_FILE: join(dir, "missing"),
          C_FILE: file("c", "\n"),
        },
        ["A", "B", "C"],
      );
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems).toEqual([
      "A_FILE: set it or A, not both",
      expect.stringMatching(/^B_FILE: cannot read .*missing \(ENOENT\)$/),
      expect.stringMatching(/^C_FILE: .* is empty$/),
    ]);
    expect(problems.join(" ")).not.toMatch(/inline-secret|file-secret/);
  });
});
