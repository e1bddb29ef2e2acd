/**
 * The corpus format's validator, reader and writer. Every record read or written goes through the
 * zod schema below; an error names the file, the line and the field
 * (`corpus.jsonl:3: branches[2].tokens: must not be negative (got -5)`), and lists every problem
 * found, not just the first.
 */
import { readFile, writeFile } from "node:fs/promises";
import { z } from "zod";
import { splitSteps } from "@ttc/policy";
import { tokenCountings } from "./tokens.js";
import type { CorpusAnswerFormat, CorpusBranch, CorpusRecord } from "./types.js";

/** Every `CorpusAnswerFormat`, in a fixed order. */
export const corpusAnswerFormats = ["text", "number", "math", "date", "choice", "game24"] as const satisfies readonly CorpusAnswerFormat[];

const nonEmpty = (what = "must not be empty") => z.string().min(1, { error: what });

/** One recorded branch. `stepScores`, when given, has exactly one score per `splitSteps(text)` step. */
export const corpusBranchSchema = z
  .strictObject({
    text: z.string(),
    tokens: z.number().int({ error: "must be an integer" }).min(0, { error: "must not be negative" }),
    answer: z.string().optional(),
    correct: z.boolean().optional(),
    score: z.number().optional(),
    stepScores: z.array(z.number()).min(1, { error: "must not be empty (leave it out when there are no step scores)" }).optional(),
  })
  .superRefine((branch, ctx) => {
    if (branch.stepScores === undefined || branch.stepScores.length === 0) return; // empty: reported above
    const steps = splitSteps(branch.text).length;
    if (steps === 0) {
      ctx.addIssue({ code: "custom", path: ["stepScores"], message: "given for a branch whose text has no steps" });
    } else if (steps !== branch.stepScores.length) {
      ctx.addIssue({
        code: "custom",
        path: ["stepScores"],
        message: `has ${branch.stepScores.length} scores but the text has ${steps} steps (one score per splitSteps step)`,
      });
    }
  });

/** One corpus record (one JSONL line). Unknown fields are refused, so a misspelt field is caught. */
export const corpusRecordSchema = z.strictObject({
  id: nonEmpty(),
  problem: nonEmpty(),
  system: z.string().optional(),
  gold: nonEmpty(),
  format: z.enum(corpusAnswerFormats),
  source: nonEmpty(),
  tokenCounting: z.enum(tokenCountings),
  branches: z.array(corpusBranchSchema).min(1, { error: "must have at least one branch" }),
  meta: z.record(z.string(), z.union([z.string(), z.number()], { error: "must be a string or a number" })).optional(),
});

type Expect<T extends true> = T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compile-time proof that the schema and the `CorpusRecord` contract in types.ts say the same. */
export type SchemaMatchesContract = [
  Expect<Same<z.output<typeof corpusRecordSchema>, CorpusRecord>>,
  Expect<Same<z.output<typeof corpusBranchSchema>, CorpusBranch>>,
];

/** One problem found in a corpus (or in a source file an importer reads). */
export interface CorpusIssue {
  /** 1-based line of the file (for in-memory records: the line it would be written to). */
  line?: number;
  /** 0-based element of a JSON array source file. */
  element?: number;
  /** The field as a path, e.g. `branches[2].tokens`; "" for the line as a whole. */
  field: string;
  message: string;
}

/** Where an issue is: `file:3`, `file[12]` or `file`. */
export function issueLocation(origin: string, issue: CorpusIssue): string {
  if (issue.line !== undefined) return `${origin}:${issue.line}`;
  if (issue.element !== undefined) return `${origin}[${issue.element}]`;
  return origin;
}

const MAX_LISTED = 20;

/** A corpus (or source file) that is not what it should be; `issues` lists every problem found. */
export class CorpusFormatError extends Error {
  override readonly name = "CorpusFormatError";
  constructor(
    readonly origin: string,
    readonly issues: CorpusIssue[],
  ) {
    const lines = issues
      .slice(0, MAX_LISTED)
      .map((i) => `${issueLocation(origin, i)}: ${i.field === "" ? "" : `${i.field}: `}${i.message}`);
    if (issues.length > MAX_LISTED) lines.push(`… and ${issues.length - MAX_LISTED} more`);
    super(issues.length === 1 ? (lines[0] ?? origin) : `${origin}: ${issues.length} problems:\n  ${lines.join("\n  ")}`);
  }
}

/** `branches[2].tokens` from `["branches", 2, "tokens"]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function shown(value: unknown): string {
  const s = JSON.stringify(value);
  if (s === undefined) return String(value);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/** zod issues as corpus issues at one place (a line or an element). */
export function issuesFromZod(error: z.ZodError, at: Pick<CorpusIssue, "line" | "element">): CorpusIssue[] {
  const out: CorpusIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({ ...at, field: fieldPath([...issue.path, key]), message: "unknown field" });
      }
      continue;
    }
    const input = (issue as { input?: unknown }).input;
    let message = issue.message;
    if ((issue.code === "invalid_type" || issue.code === "invalid_union") && input === undefined) message = "is required";
    else if (input !== undefined && (input === null || typeof input !== "object")) message += ` (got ${shown(input)})`;
    out.push({ ...at, field: fieldPath(issue.path), message });
  }
  return out;
}

function checkRecord(value: unknown, at: Pick<CorpusIssue, "line" | "element">, issues: CorpusIssue[]): CorpusRecord | undefined {
  const parsed = corpusRecordSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) {
    issues.push(...issuesFromZod(parsed.error, at));
    return undefined;
  }
  return parsed.data;
}

function checkDuplicate(record: CorpusRecord, line: number, seen: Map<string, number>, issues: CorpusIssue[]): void {
  const first = seen.get(record.id);
  if (first === undefined) seen.set(record.id, line);
  else issues.push({ line, field: "id", message: `duplicate id ${shown(record.id)} (first on line ${first})` });
}

/**
 * Parse a corpus file's text (JSONL: one record a line; blank lines are skipped). Throws a
 * `CorpusFormatError` naming `origin`, the line and the field of every problem: invalid JSON, a
 * record that does not match the schema, a duplicate id.
 */
export function parseCorpus(text: string, origin: string): CorpusRecord[] {
  const issues: CorpusIssue[] = [];
  const records: CorpusRecord[] = [];
  const seen = new Map<string, number>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i] ?? "";
    if (raw.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      issues.push({ line, field: "", message: `not valid JSON (${error instanceof Error ? error.message : String(error)})` });
      continue;
    }
    const record = checkRecord(value, { line }, issues);
    if (record === undefined) continue;
    checkDuplicate(record, line, seen, issues);
    records.push(record);
  }
  if (issues.length > 0) throw new CorpusFormatError(origin, issues);
  return records;
}

/**
 * Check in-memory records as `parseCorpus` checks a file (record i is reported as line i + 1, the
 * line it would be written to). Returns the records as the schema parsed them.
 */
export function validateRecords(records: readonly unknown[], origin = "records"): CorpusRecord[] {
  const issues: CorpusIssue[] = [];
  const out: CorpusRecord[] = [];
  const seen = new Map<string, number>();
  records.forEach((value, i) => {
    const record = checkRecord(value, { line: i + 1 }, issues);
    if (record === undefined) return;
    checkDuplicate(record, i + 1, seen, issues);
    out.push(record);
  });
  if (issues.length > 0) throw new CorpusFormatError(origin, issues);
  return out;
}

function canonicalBranch(b: CorpusBranch): CorpusBranch {
  return { text: b.text, tokens: b.tokens, answer: b.answer, correct: b.correct, score: b.score, stepScores: b.stepScores };
}

/** The record with its fields in the canonical order (undefined fields are dropped by JSON). */
function canonicalRecord(r: CorpusRecord): CorpusRecord {
  return {
    id: r.id,
    problem: r.problem,
    system: r.system,
    gold: r.gold,
    format: r.format,
    source: r.source,
    tokenCounting: r.tokenCounting,
    meta: r.meta,
    branches: r.branches.map(canonicalBranch),
  };
}

/**
 * One record as one JSONL line (no newline), fields in the canonical order, after checking it
 * against the schema (throws a `CorpusFormatError` if it does not match).
 */
export function formatRecord(record: CorpusRecord): string {
  const [checked] = validateRecords([record], `record ${shown(record.id)}`);
  return JSON.stringify(canonicalRecord(checked ?? record));
}

/** A whole corpus file's text: one line per record, each ending in "\n"; checked like `parseCorpus`. */
export function formatCorpus(records: readonly CorpusRecord[], origin = "records"): string {
  const checked = validateRecords(records, origin);
  return checked.map((r) => `${JSON.stringify(canonicalRecord(r))}\n`).join("");
}

/** Read and check a corpus file (see `parseCorpus`). */
export async function readCorpus(path: string): Promise<CorpusRecord[]> {
  return parseCorpus(await readFile(path, "utf8"), path);
}

/** Check the records (see `validateRecords`) and write them to `path` as JSONL. */
export async function writeCorpus(path: string, records: readonly CorpusRecord[]): Promise<void> {
  await writeFile(path, formatCorpus(records, path), "utf8");
}
