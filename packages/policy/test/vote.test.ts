import { describe, it, expect } from "vitest";
import { probabilityLeaderIsMajority } from "../src/beta.js";
import { normaliseAnswer } from "../src/answer.js";
import { VoteTally } from "../src/vote.js";

describe("VoteTally", () => {
  it("sorts by weight, then count, then first-seen order", () => {
    const tally = new VoteTally();
    tally.add(0, "y", 1); // weight 1, count 1
    tally.add(1, "x", 0.5); // weight 1, count 2 once branch 2 votes
    tally.add(2, "x", 0.5);
    tally.add(3, "w", 0.25); // weight 1, count 2, seen after x
    tally.add(4, "w", 0.75);
    tally.add(5, "z", 3);
    expect(tally.votes()).toEqual([
      { answer: "z", count: 1, weight: 3 },
      { answer: "x", count: 2, weight: 1 },
      { answer: "w", count: 2, weight: 1 },
      { answer: "y", count: 1, weight: 1 },
    ]);
  });

  it("keeps first-seen order on a full tie", () => {
    const tally = new VoteTally();
    for (const [branch, answer] of ["b", "a", "c"].entries()) tally.add(branch, answer);
    expect(tally.votes().map((v) => v.answer)).toEqual(["b", "a", "c"]);
    expect(tally.consensus().leader).toBe("b");
  });

  it("counts a branch once, even when its first add had no answer", () => {
    const tally = new VoteTally();
    tally.add(0, "a");
    tally.add(0, "b");
    tally.add(0, "a");
    tally.add(1, null);
    tally.add(1, "b");
    expect(tally.votes()).toEqual([{ answer: "a", count: 1, weight: 1 }]);
    expect(tally.answered).toBe(1);
  });

  it("returns copies that do not change the tally", () => {
    const tally = new VoteTally();
    tally.add(0, "a");
    tally.votes()[0]!.count = 99;
    expect(tally.votes()[0]!.count).toBe(1);
  });

  it("has no leader and zero probability before any answer", () => {
    const tally = new VoteTally();
    tally.add(0, null);
    expect(tally.consensus()).toEqual({ leader: null, votes: [], support: 0, leaderProbability: 0 });
  });

  it("reports support and the Beta probability of the top two", () => {
    const tally = new VoteTally();
    ["a", "b", "a", "c", "a", null].forEach((answer, branch) => tally.add(branch, answer));
    const consensus = tally.consensus();
    expect(consensus.leader).toBe("a");
    expect(consensus.support).toBeCloseTo(3 / 5, 14);
    expect(consensus.leaderProbability).toBe(probabilityLeaderIsMajority(3, 1));
  });

  it("uses the runner-up weight 0 when only one answer was given", () => {
    const tally = new VoteTally();
    for (let branch = 0; branch < 4; branch++) tally.add(branch, "42");
    expect(tally.consensus().support).toBe(1);
    expect(tally.consensus().leaderProbability).toBeCloseTo(0.96875, 14);
  });

  it("rejects negative or non-finite weights", () => {
    const tally = new VoteTally();
    expect(() => tally.add(0, "a", -1)).toThrow(RangeError);
    expect(() => tally.add(0, "a", Number.NaN)).toThrow(RangeError);
    tally.add(0, "a", 2);
    expect(tally.votes()).toEqual([{ answer: "a", count: 1, weight: 2 }]);
  });

  it("without a format, groups identical keys only (as before)", () => {
    const tally = new VoteTally();
    ["1/2", "0.5", "1/2"].forEach((answer, branch) => tally.add(branch, answer));
    expect(tally.votes()).toEqual([
      { answer: "1/2", count: 2, weight: 2 },
      { answer: "0.5", count: 1, weight: 1 },
    ]);
  });
});

describe("VoteTally with an answer format", () => {
  const math = (raw: string) => normaliseAnswer(raw, "math");

  it("puts equivalent answers in one group shown as its first member's key", () => {
    const tally = new VoteTally({ format: "math" });
    // qwen problem 72: two forms of 9999 6/7, then other answers.
    ["9999", "9999 \\frac{6}{7}", "9999.857142857143", "9999", "10000"].forEach((raw, branch) => tally.add(branch, math(raw)));
    expect(tally.votes()).toEqual([
      { answer: "9999", count: 2, weight: 2 },
      { answer: "9999\\frac{6}{7}", count: 2, weight: 2 },
      { answer: "10000", count: 1, weight: 1 },
    ]);
    expect(tally.answered).toBe(5);
  });

  it("lets an equivalent answer change the leader, and weights the group", () => {
    const tally = new VoteTally({ format: "math" });
    tally.add(0, math("\\frac{\\sqrt{3}}{2}"), 1);
    tally.add(1, math("0.8"), 1.5);
    tally.add(2, math("\\sqrt3/2"), 1);
    const consensus = tally.consensus();
    expect(consensus.leader).toBe("\\frac{\\sqrt{3}}{2}");
    expect(consensus.votes[0]).toEqual({ answer: "\\frac{\\sqrt{3}}{2}", count: 2, weight: 2 });
    expect(consensus.support).toBeCloseTo(2 / 3.5, 14);
    expect(consensus.leaderProbability).toBe(probabilityLeaderIsMajority(2, 1.5));
  });

  it("joins the first equivalent group in first-seen order", () => {
    // "a" ~ "b" and "b" ~ "c" but not "a" ~ "c": "c" joins "b"'s group, the first equivalent one.
    const near = new Map([
      ["a", "b"],
      ["b", "c"],
    ]);
    const equivalent = (x: string, y: string) => x === y || near.get(x) === y || near.get(y) === x;
    const tally = new VoteTally({ equivalent });
    tally.add(0, "a");
    tally.add(1, "c");
    tally.add(2, "b");
    expect(tally.votes()).toEqual([
      { answer: "a", count: 2, weight: 2 },
      { answer: "c", count: 1, weight: 1 },
    ]);
    expect(tally.groupOf("b")).toBe("a");
    expect(tally.groupOf("z")).toBeNull();
  });

  it("compares each distinct key once", () => {
    let calls = 0;
    const tally = new VoteTally({
      equivalent: (x, y) => {
        calls++;
        return x === y;
      },
    });
    for (let branch = 0; branch < 50; branch++) tally.add(branch, branch % 2 === 0 ? "x" : "y");
    expect(calls).toBe(1);
    expect(tally.votes().map((v) => v.count)).toEqual([25, 25]);
  });

  it("groups a date format's keys by equality", () => {
    const tally = new VoteTally({ format: "date" });
    ["5/1/2021", "05/01/2021", "05/02/2021"].forEach((raw, branch) => tally.add(branch, normaliseAnswer(raw, "date")));
    expect(tally.votes()[0]).toEqual({ answer: "05/01/2021", count: 2, weight: 2 });
  });
});
