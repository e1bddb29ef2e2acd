/**
 * A query's record made readable (`ttc show`): which branch voted for what, where each stopped
 * branch died and why, how the consensus moved, what it cost; as terminal lines or one
 * self-contained HTML page. Pure: a QueryRecord in, text out.
 */
import {
  BranchStatus,
  branchStatusToJSON,
  executionModeToJSON,
  type BranchTrace,
  type ConsensusUpdate,
  type QueryRecord,
  type QueryStarted,
  type SolveResult,
} from "@ttc/proto";
import { summarize } from "./progress-view.js";

/** A record read into what both views show. */
export interface RecordSummary {
  queryId: string;
  complete: boolean;
  started: QueryStarted | undefined;
  /** Branches by index, with the time each started and what ended it. */
  branches: BranchRow[];
  /** Consensus updates with their times. */
  consensus: { at: number; update: ConsensusUpdate }[];
  result: SolveResult | undefined;
  failure: { code: string; message: string } | undefined;
}

export interface BranchRow {
  index: number;
  workerId: string;
  attempts: number;
  startedAt: number | undefined;
  /** The branch's trace once it ended; undefined while it ran (or when the record stops before). */
  trace: BranchTrace | undefined;
}

export function summarizeRecord(record: QueryRecord): RecordSummary {
  const rows = new Map<number, BranchRow>();
  const row = (index: number) => {
    let r = rows.get(index);
    if (!r) rows.set(index, (r = { index, workerId: "", attempts: 0, startedAt: undefined, trace: undefined }));
    return r;
  };
  const s: RecordSummary = {
    queryId: record.queryId,
    complete: record.complete,
    started: undefined,
    branches: [],
    consensus: [],
    result: undefined,
    failure: undefined,
  };
  for (const entry of record.entries) {
    const e = entry.entry;
    if (!e) continue;
    if (e.$case === "started") s.started = e.value;
    else if (e.$case === "trace") row(e.value.index).trace = e.value;
    else if (e.$case === "failed") s.failure = e.value;
    else if (e.$case === "event") {
      const ev = e.value.event;
      if (ev?.$case === "branchStarted") {
        const r = row(ev.value.index);
        r.workerId = ev.value.workerId;
        r.attempts = Math.max(r.attempts, ev.value.attempt);
        r.startedAt ??= entry.atSeconds;
      } else if (ev?.$case === "consensus") s.consensus.push({ at: entry.atSeconds, update: ev.value });
      else if (ev?.$case === "result") s.result = ev.value;
    }
  }
  s.branches = [...rows.values()].sort((a, b) => a.index - b.index);
  return s;
}

const fate = (t: BranchTrace | undefined) => (t ? branchStatusToJSON(t.status).replace("BRANCH_STATUS_", "").toLowerCase() : "running");
const secs = (x: number) => `${x.toFixed(2)} s`;
const quote = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `…${flat.slice(flat.length - max + 1)}`;
};

/** What the request asked, in one line. */
function asked(st: QueryStarted): string {
  const prompt = st.promptRedacted ? "(prompt redacted)" : JSON.stringify(quote(st.request?.prompt ?? "", 80));
  return `${prompt}; policy ${st.policy?.name} ${JSON.stringify(st.policy?.params ?? {})}, verifier ${st.verifier}, seed ${st.seed}, ${st.maxBranches} branches × ${st.maxTokensPerBranch} tokens, ${executionModeToJSON(st.mode).replace("EXECUTION_MODE_", "").toLowerCase()} ×${st.parallelism}`;
}

/** The record as terminal lines: header, the branch tree, the consensus over time, the result. */
export function renderRecordText(record: QueryRecord, width = 100): string[] {
  const s = summarizeRecord(record);
  const st = s.started;
  const lines = [
    `query ${s.queryId}${st ? ` (tenant ${st.tenant}, scheduler ${st.schedulerId}, ${new Date(Number(st.startedUnixMs)).toISOString()})` : ""}`,
    s.complete ? "record:   complete" : "record:   PARTIAL (the query is still running, or its scheduler died before it ended)",
  ];
  if (st) lines.push(`asked:    ${asked(st)}`);
  lines.push("", "branches");
  for (const [i, b] of s.branches.entries()) {
    const last = i === s.branches.length - 1;
    const t = b.trace;
    const vote = t?.status === BranchStatus.BRANCH_STATUS_FINISHED ? (t.answer ? `→ ${t.answer}` : "→ (no answer)") : "";
    const span = `${b.startedAt === undefined ? "?" : secs(b.startedAt)}–${t ? secs(t.endedSeconds) : "…"}`;
    const score = t && t.score >= 0 ? `score ${t.score.toFixed(2)}` : "";
    lines.push(
      `${last ? "└─" : "├─"} #${String(b.index).padEnd(3)}${fate(t).padEnd(10)}${String(t?.tokens ?? 0).padStart(6)} tok  ${score.padEnd(11)} ${span.padEnd(16)} ${(t?.workerId || b.workerId).padEnd(12)}${(t?.attempts ?? b.attempts) > 1 ? ` ${t?.attempts ?? b.attempts} attempts` : ""} ${vote}`.trimEnd(),
    );
    const indent = last ? "     " : "│    ";
    if (t && t.status !== BranchStatus.BRANCH_STATUS_FINISHED && t.reason)
      lines.push(`${indent}died at ${t.tokens} tokens, ${secs(t.endedSeconds)}: ${t.reason}`);
    else if (t?.reason) lines.push(`${indent}${t.reason}`);
    if (t && t.text) lines.push(`${indent}"${quote(t.text, width - indent.length - 2)}"`);
  }
  if (s.consensus.length > 0) {
    lines.push("", "consensus over time");
    for (const { at, update } of s.consensus) {
      const votes = update.votes.map((v) => `${v.answer} ×${v.count}`).join(", ") || "no votes";
      lines.push(
        `  ${secs(at).padStart(8)}  leader ${(update.leader || "-").padEnd(12)} P=${update.leaderProbability.toFixed(3)}  ${votes}  (${update.branchesFinished} ended, ${update.branchesInFlight} running)`,
      );
    }
  }
  if (s.failure) lines.push("", `failed:   ${s.failure.code}: ${s.failure.message}`);
  if (s.result) lines.push("", ...summarize(s.result));
  return lines;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const colors: Record<string, string> = {
  finished: "#2e7d32",
  pruned: "#c62828",
  cancelled: "#9e9e9e",
  failed: "#6a1b9a",
  running: "#1565c0",
};

/** The record as one self-contained HTML page: a timeline of the branches, the consensus over time, every trace. */
export function renderRecordHtml(record: QueryRecord): string {
  const s = summarizeRecord(record);
  const st = s.started;
  const end = Math.max(0.001, s.result?.timing?.totalSeconds ?? 0, ...s.branches.map((b) => b.trace?.endedSeconds ?? b.startedAt ?? 0));
  const rowH = 22;
  const width = 760;
  const x = (t: number) => 60 + (t / end) * (width - 80);
  const bars = s.branches
    .map((b, i) => {
      const t = b.trace;
      const from = x(b.startedAt ?? 0);
      const to = x(t?.endedSeconds ?? end);
      const y = 8 + i * rowH;
      const label = t?.status === BranchStatus.BRANCH_STATUS_FINISHED ? t.answer || "no answer" : fate(t);
      return `<text x="4" y="${y + 14}">#${b.index}</text><rect x="${from.toFixed(1)}" y="${y}" width="${Math.max(2, to - from).toFixed(1)}" height="${rowH - 6}" fill="${colors[fate(t)]}"><title>#${b.index} ${fate(t)} ${t?.tokens ?? 0} tokens ${escape(t?.reason ?? "")}</title></rect><text x="${(to + 4).toFixed(1)}" y="${y + 14}">${escape(label)}</text>`;
    })
    .join("");
  const axis = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (f) =>
        `<text x="${x(f * end).toFixed(1)}" y="${16 + s.branches.length * rowH}" text-anchor="middle">${(f * end).toFixed(2)} s</text>`,
    )
    .join("");
  const svgHeight = 24 + s.branches.length * rowH;
  const consensus = s.consensus
    .map(
      ({ at, update }) =>
        `<tr><td>${secs(at)}</td><td>${escape(update.leader || "-")}</td><td>${update.leaderProbability.toFixed(3)}</td><td>${escape(update.votes.map((v) => `${v.answer} ×${v.count}`).join(", "))}</td><td>${update.branchesFinished}</td><td>${update.branchesInFlight}</td></tr>`,
    )
    .join("");
  const traces = s.branches
    .map((b) => {
      const t = b.trace;
      const steps = t?.stepScores.length ? ` · step scores ${t.stepScores.map((v) => v.toFixed(2)).join(" ")}` : "";
      return `<details><summary><b style="color:${colors[fate(t)]}">#${b.index} ${fate(t)}</b> ${t?.tokens ?? 0} tokens${t && t.score >= 0 ? ` · score ${t.score.toFixed(2)}` : ""}${t?.answer ? ` · answer ${escape(t.answer)}` : ""}${t?.reason ? ` · ${escape(t.reason)}` : ""}${steps}</summary><pre>${escape(t?.text ?? "(no trace recorded)")}${t?.textTruncated ? `\n[recorded ${t.text.length} of ${t.textChars} characters]` : ""}</pre></details>`;
    })
    .join("\n");
  const summary = s.result
    ? summarize(s.result).map(escape).join("\n")
    : s.failure
      ? escape(`${s.failure.code}: ${s.failure.message}`)
      : "(no result recorded)";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ttc query ${escape(s.queryId)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;max-width:1000px;color:#222}svg text{font:12px monospace}pre{white-space:pre-wrap;background:#f6f6f6;padding:8px;font:12px monospace}table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left;font:12px monospace}.partial{color:#c62828;font-weight:bold}</style>
</head><body>
<h1>Query ${escape(s.queryId)}</h1>
<p>${st ? `tenant ${escape(st.tenant)} · scheduler ${escape(st.schedulerId)} · ${escape(new Date(Number(st.startedUnixMs)).toISOString())}` : ""} ${s.complete ? "· complete record" : '<span class="partial">· PARTIAL record: the query is still running, or its scheduler died before it ended</span>'}</p>
${st ? `<p>${escape(asked(st))}</p>` : ""}
<h2>Branches</h2>
<svg width="${width + 120}" height="${svgHeight}" role="img" aria-label="branch timeline">${bars}${axis}</svg>
<p>${Object.entries(colors)
    .map(([k, c]) => `<b style="color:${c}">■</b> ${k}`)
    .join(" &nbsp; ")}</p>
<h2>Consensus over time</h2>
<table><tr><th>at</th><th>leader</th><th>P(leader is majority)</th><th>votes</th><th>ended</th><th>running</th></tr>${consensus}</table>
<h2>Result</h2>
<pre>${summary}</pre>
<h2>Traces</h2>
${traces}
</body></html>
`;
}
