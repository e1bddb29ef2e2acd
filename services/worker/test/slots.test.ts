import { describe, expect, it } from "vitest";
import { Slots } from "../src/slots.js";

/** Lets pending promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("Slots", () => {
  it("hands out free slots at once", async () => {
    const slots = new Slots(2);
    expect(slots.inUse).toBe(0);
    await slots.acquire();
    await slots.acquire();
    expect(slots.inUse).toBe(2);
    expect(slots.capacity).toBe(2);
  });

  it("makes acquire wait while every slot is taken, until a release", async () => {
    const slots = new Slots(1);
    await slots.acquire();
    let acquired = false;
    const waiting = slots.acquire().then(() => (acquired = true));
    await settle();
    expect(acquired).toBe(false);
    slots.release();
    await waiting;
    expect(acquired).toBe(true);
    // The slot passed straight to the waiter: still one in use.
    expect(slots.inUse).toBe(1);
  });

  it("wakes waiters one per release, in FIFO order", async () => {
    const slots = new Slots(1);
    await slots.acquire();
    const order: string[] = [];
    const waiters = ["a", "b", "c"].map((name) => slots.acquire().then(() => order.push(name)));
    await settle();
    expect(order).toEqual([]);
    slots.release();
    await settle();
    expect(order).toEqual(["a"]);
    slots.release();
    await settle();
    expect(order).toEqual(["a", "b"]);
    slots.release();
    await Promise.all(waiters);
    expect(order).toEqual(["a", "b", "c"]);
    expect(slots.inUse).toBe(1);
  });

  it("frees the slot when nobody waits, and a later acquire takes it without waiting", async () => {
    const slots = new Slots(2);
    await slots.acquire();
    await slots.acquire();
    slots.release();
    expect(slots.inUse).toBe(1);
    let acquired = false;
    void slots.acquire().then(() => (acquired = true));
    await settle();
    expect(acquired).toBe(true);
    expect(slots.inUse).toBe(2);
  });

  it("never lets more than capacity run at once under contention", async () => {
    const slots = new Slots(3);
    let running = 0;
    let peak = 0;
    const job = async () => {
      await slots.acquire();
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 1));
      running--;
      slots.release();
    };
    await Promise.all(Array.from({ length: 20 }, job));
    expect(peak).toBe(3);
    expect(slots.inUse).toBe(0);
  });
});
