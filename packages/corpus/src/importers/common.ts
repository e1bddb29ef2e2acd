/** What the importers share: reading a source file's JSON with errors that name the line or element. */
import type { z } from "zod";
import { CorpusFormatError, issuesFromZod, type CorpusIssue } from "../schema.js";

/** Options every importer takes. */
export interface ImportOptions {
  /** Name of the input in error messages (a file path); default: the importer's name. */
  origin?: string;
}

/** Parse JSONL: one value a line, each checked against `schema`; blank lines are skipped. */
export function parseJsonLines<T>(input: string, origin: string, schema: z.ZodType<T>): { line: number; value: T }[] {
  const issues: CorpusIssue[] = [];
  const out: { line: number; value: T }[] = [];
  const lines = input.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? "";
    if (raw.trim() === "") continue;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      issues.push({ line, field: "", message: `not valid JSON (${error instanceof Error ? error.message : String(error)})` });
      continue;
    }
    const parsed = schema.safeParse(value, { reportInput: true });
    if (parsed.success) out.push({ line, value: parsed.data });
    else issues.push(...issuesFromZod(parsed.error, { line }));
  }
  if (issues.length > 0) throw new CorpusFormatError(origin, issues);
  if (out.length === 0) throw new CorpusFormatError(origin, [{ field: "", message: "no records: the file is empty" }]);
  return out;
}

/** Parse a JSON array whose elements are checked against `schema`. */
export function parseJsonArray<T>(input: string, origin: string, schema: z.ZodType<T>): { element: number; value: T }[] {
  let data: unknown;
  try {
    data = JSON.parse(input);
  } catch (error) {
    throw new CorpusFormatError(origin, [
      { field: "", message: `not valid JSON (${error instanceof Error ? error.message : String(error)})` },
    ]);
  }
  if (!Array.isArray(data)) {
    throw new CorpusFormatError(origin, [{ field: "", message: "expected a JSON array of log records" }]);
  }
  if (data.length === 0) throw new CorpusFormatError(origin, [{ field: "", message: "no records: the array is empty" }]);
  const issues: CorpusIssue[] = [];
  const out: { element: number; value: T }[] = [];
  data.forEach((value: unknown, element) => {
    const parsed = schema.safeParse(value, { reportInput: true });
    if (parsed.success) out.push({ element, value: parsed.data });
    else issues.push(...issuesFromZod(parsed.error, { element }));
  });
  if (issues.length > 0) throw new CorpusFormatError(origin, issues);
  return out;
}
