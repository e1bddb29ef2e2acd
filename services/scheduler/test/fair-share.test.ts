import { describe, expect, it } from "vitest";
import { FairShare, type HeldDispatch } from "../src/fair-share.js";

/** A fleet of `slots` and a log of released dispatches, named `tenant#n`. */
function fleet(slots: number, weights: Record<string, number> = {}) {
  const released: string[] = [];
  const share = new FairShare({ fleetSlots: () => slots, weight: (t) => weights[t] ?? 1, backlog: 0 });
  let n = 0;
  const submit = (tenant: string, branches = 1, wanted = () => true) => {
    const name = `${tenant}#${n++}`;
    const d: HeldDispatch = { branches, wanted, release: () => released.push(name) };
    share.submit(tenant, d);
    return name;
  };
  return { share, released, submit };
}

describe("fair share of the fleet", () => {
  it("lets in what the fleet can run and holds the rest until slots free", () => {
    const { share, released, submit } = fleet(4);
    for (let i = 0; i < 10; i++) submit("flood");
    expect(released).toHaveLength(4);
    expect(share.held).toBe(6);
    share.ended("flood", 2);
    expect(released).toHaveLength(6);
    expect(share.holding).toBe(4);
  });

  it("a newcomer's task goes before a flood's queue, and it keeps the freed slots while it has consumed less", () => {
    const { share, released, submit } = fleet(4);
    for (let i = 0; i < 100; i++) submit("flood");
    share.charge("flood", 4_000);
    const quiet = [submit("quiet"), submit("quiet"), submit("quiet")];
    expect(released.filter((r) => r.startsWith("quiet"))).toEqual([]);
    share.ended("flood", 1);
    expect(released.at(-1)).toBe(quiet[0]);
    share.charge("quiet", 100);
    share.charge("flood", 300);
    share.ended("flood", 2);
    expect(released.slice(-2)).toEqual(quiet.slice(1));
    share.ended("flood", 1);
    expect(released.at(-1)).toMatch(/^flood/);
  });

  it("the tenant that consumed fewer tokens per unit of weight goes first", () => {
    const { share, released, submit } = fleet(1, { big: 4 });
    submit("small"); // runs
    submit("big");
    submit("small");
    share.charge("small", 100);
    share.charge("big", 300); // 75 per unit of weight
    share.ended("small", 1);
    expect(released.at(-1)).toMatch(/^big/);
  });

  it("an idle tenant banks nothing: it comes back level with the least-served active tenant", () => {
    const { share, released, submit } = fleet(1);
    submit("a");
    share.charge("a", 10);
    share.ended("a", 1); // a is idle and forgotten
    submit("c"); // runs
    share.charge("c", 500);
    submit("a"); // held; a comes back at c's 500, not at its old 10
    submit("c");
    share.charge("a", 1); // 501 against c's 500 (had a banked its idle time: 11)
    share.ended("c", 1);
    expect(released.at(-1)).toBe("c#3");
  });

  it("drops dispatches nobody wants without sending them, and never blocks a gang wider than the fleet", () => {
    const { share, released, submit } = fleet(2);
    submit("a", 2);
    let wanted = true;
    submit("a", 1, () => wanted);
    submit("a", 8);
    wanted = false;
    share.ended("a", 2);
    expect(released).toEqual(["a#0", "a#2"]);
    expect(share.held).toBe(0);
  });

  it("sends everything when the fleet's size is unknown", () => {
    const { released, submit } = fleet(0);
    for (let i = 0; i < 50; i++) submit("a", 4);
    expect(released).toHaveLength(50);
  });
});
