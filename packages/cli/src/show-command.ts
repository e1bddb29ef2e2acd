/** `ttc show QUERY_ID`: a query's record as a branch tree in the terminal, as JSON, or as one HTML page. */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { localSchedulerAddress } from "@ttc/client";
import { QueryRecord } from "@ttc/proto";
import { addConnectionFlags, withScheduler, type ConnectionFlags } from "./connection-flags.js";
import { addJsonOutputOptions, emitOutput, numberFlag, type JsonOutputOptions } from "./flags.js";
import { renderRecordHtml, renderRecordText } from "./record-view.js";

interface ShowOptions extends JsonOutputOptions, ConnectionFlags {
  addr: string;
  html?: string;
  timeoutMs: number;
}

export function registerShowCommand(program: Command, env: NodeJS.ProcessEnv = process.env): void {
  const command = program
    .command("show")
    .description("explain a query from its record: every branch's fate, the consensus over time, the result and its cost")
    .argument("<query-id>", "the query_id of a result (ttc solve prints it; the OpenAI API returns it as ttc.query_id)")
    .option("--addr <host:port>", "scheduler gRPC address (TTC_ADDR sets the default)", env["TTC_ADDR"] ?? localSchedulerAddress)
    .option("--html <file>", "write the record as one self-contained HTML page to this file (- for stdout)")
    .option("--timeout-ms <ms>", "deadline of the call", numberFlag({ integer: true, min: 1 }), 30_000)
    .addHelpText("after", "\nExit code: 0 for a complete record, 3 for a partial one, 2 when there is none or the call fails.");
  addConnectionFlags(command, env);
  addJsonOutputOptions(command, "the record").action(async (queryId: string, o: ShowOptions) => {
    process.exitCode = await runShow(queryId, o);
  });
}

export function runShow(queryId: string, o: ShowOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  return withScheduler("show", o, async (client) => {
    const record = await client.getQuery(queryId);
    const code = record.complete ? 0 : 3;
    if (o.html === "-") {
      out.write(renderRecordHtml(record));
      return code;
    }
    if (o.html !== undefined) writeFileSync(o.html, renderRecordHtml(record));
    emitOutput(o, QueryRecord.toJSON(record), () => renderRecordText(record, 120).join("\n"), out);
    return code;
  });
}
