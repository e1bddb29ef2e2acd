import { readFileSync } from "node:fs";
import { ConfigError, type Env } from "./config.js";

/**
 * A URL (or a comma-separated list of them, as NATS takes) with any user name and password replaced
 * by `***`, for logs and announcements. Text that does not parse as a URL keeps everything but what
 * looks like credentials before an `@`.
 */
export function redactUrl(text: string): string {
  return text
    .split(",")
    .map((part) => {
      try {
        const url = new URL(part.trim());
        if (url.username === "" && url.password === "") return part;
        url.username = "***";
        url.password = "";
        return url.toString();
      } catch {
        return part.replace(/\/\/[^/@\s]*@/, "//***@");
      }
    })
    .join(",");
}

/**
 * The bytes of a file a setting or flag names. @throws Error `SETTING: cannot read FILE (CODE)`, which
 * names the setting, so a person knows which value to fix.
 */
export function readSettingFile(setting: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`${setting}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** The JSON document of a file a setting names. @throws Error naming the setting, when unreadable or not JSON. */
export function readSettingJson(setting: string, file: string): unknown {
  const text = readSettingFile(setting, file).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${setting}: ${file} is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * `env` with each secret setting read from the file its `<NAME>_FILE` variant names (as container
 * platforms mount secrets), one trailing newline dropped. Setting both is an error, and so is a file
 * that cannot be read or is empty; the message names the setting, never the secret.
 */
export function withSecretFiles(env: Env, secrets: readonly string[]): Env {
  const out: Env = { ...env };
  const problems: string[] = [];
  for (const name of secrets) {
    const file = env[`${name}_FILE`];
    if (file === undefined) continue;
    if (env[name] !== undefined) {
      problems.push(`${name}_FILE: set it or ${name}, not both`);
      continue;
    }
    try {
      const value = readSettingFile(`${name}_FILE`, file)
        .toString("utf8")
        .replace(/\r?\n$/, "");
      if (value === "") problems.push(`${name}_FILE: ${file} is empty`);
      else out[name] = value;
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}
