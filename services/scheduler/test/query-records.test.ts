import { describe, expect, it } from "vitest";
import { QueryRecordEntry, QueryRecordPage } from "@ttc/proto";
import { capTrace } from "../src/query-history.js";
import { encodePage, QueryRecordWriter } from "../src/query-records.js";

const entry = (i: number): QueryRecordEntry => ({
  atSeconds: i / 10,
  entry: { $case: "failed", value: { code: "CODE", message: `entry ${i} ${"x".repeat(i * 50)}` } },
});

describe("query record pages", () => {
  it("encodes entries already encoded exactly as QueryRecordPage.encode does", () => {
    const entries = [0, 1, 2, 3].map(entry);
    const page = encodePage(entries.map((e) => QueryRecordEntry.encode(e).finish()));
    expect(Buffer.from(page)).toEqual(Buffer.from(QueryRecordPage.encode({ entries }).finish()));
    expect(QueryRecordPage.decode(page).entries).toEqual(entries);
    expect(encodePage([])).toHaveLength(0);
  });

  it("writes the first entry at once, batches the rest until the flush interval or close, in order", async () => {
    const pages: QueryRecordEntry[][] = [];
    const writer = new QueryRecordWriter(
      async (page) => void pages.push(QueryRecordPage.decode(page).entries),
      60_000,
      (err) => {
        throw err;
      },
    );
    writer.add(entry(0));
    await new Promise((r) => setImmediate(r));
    expect(pages).toEqual([[entry(0)]]);
    writer.add(entry(1));
    writer.add(entry(2));
    await new Promise((r) => setImmediate(r));
    expect(pages).toHaveLength(1);
    await writer.close();
    expect(pages).toEqual([[entry(0)], [entry(1), entry(2)]]);
  });

  it("counts a page that cannot be written instead of failing, and goes on", async () => {
    const failures: unknown[] = [];
    let calls = 0;
    const writer = new QueryRecordWriter(
      async () => {
        if (++calls === 1) throw new Error("no stream");
      },
      10,
      (err) => failures.push(err),
    );
    writer.add(entry(0));
    writer.add(entry(1));
    await writer.close();
    expect(calls).toBe(2);
    expect(failures).toHaveLength(1);
  });
});

describe("capTrace", () => {
  it("keeps a short trace whole", () => {
    expect(capTrace("Step 1: 2 + 2 = 4.", 100)).toEqual({ text: "Step 1: 2 + 2 = 4.", truncated: false });
  });

  it("keeps the beginning and the end (where the answer is) of a long one, saying how much is left out", () => {
    const text = `${"a".repeat(5_000)}The answer is \\boxed{42}.`;
    const { text: kept, truncated } = capTrace(text, 400);
    expect(truncated).toBe(true);
    expect(kept.startsWith("a".repeat(100))).toBe(true);
    expect(kept.endsWith("The answer is \\boxed{42}.")).toBe(true);
    expect(kept).toContain(`[… ${text.length - 400} characters not recorded …]`);
    expect(kept.length - kept.match(/\n\[….*…\]\n/)![0].length).toBe(400);
  });
});
