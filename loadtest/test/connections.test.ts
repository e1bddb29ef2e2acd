import { afterEach, describe, expect, it } from "vitest";
import { OK, runLoad } from "../src/mod.js";
import { startFakeScheduler, type FakeScheduler } from "./fake-scheduler.js";

/** `load.connections` spreads the calls over that many gRPC connections, as many callers would. */
describe("calls spread over connections", () => {
  let fake: FakeScheduler | undefined;
  afterEach(async () => {
    await fake?.stop();
    fake = undefined;
  });

  for (const connections of [1, 4]) {
    it(`${connections} connection(s): the server sees calls from ${connections} client address(es)`, async () => {
      fake = await startFakeScheduler();
      const r = await runLoad({
        addr: fake.address,
        scenario: { load: { arrival: "closed", concurrency: 8, queries: 16, connections }, request: { prompts: ["answer"] } },
      });
      expect(r.summary.outcomes).toEqual({ [OK]: 16 });
      expect(fake.peers.size).toBe(connections);
    });
  }
});
