import { FifoQueue } from "./fifo-queue.js";

/** A branch task waiting for room in the fleet. */
export interface HeldDispatch {
  /** Worker slots it takes (its branches: a gang takes one per sibling). */
  readonly branches: number;
  /** False once nobody needs it (the query was decided or its deadline passed): it is dropped unsent. */
  wanted(): boolean;
  /** Sends it to the work queue. */
  release(): void;
}

export interface FairShareOptions {
  /** Branches the live fleet can generate at once (sum of heartbeat capacities); 0 when unknown. */
  fleetSlots(): number;
  /** A tenant's share relative to others (tokens are divided by it). */
  weight(tenant: string): number;
  /**
   * Branches let into the work queue beyond the fleet's slots, as a fraction of them: a worker that
   * frees a slot finds the next task already waiting, and a newcomer waits behind no more than this.
   */
  backlog: number;
}

interface TenantShare {
  /** Tokens generated while active, divided by the tenant's weight. */
  usage: number;
  /** Branches released to the work queue and not yet ended. */
  holding: number;
  readonly held: FifoQueue<HeldDispatch>;
}

/**
 * Shares the worker fleet between tenants by tokens consumed, not by request count. Branch tasks go
 * to the work queue only while it holds less than the fleet can run (plus a small backlog); the rest
 * wait here, per tenant, and each freed slot goes to the active tenant that has consumed the fewest
 * tokens (per unit of weight), ties to the one holding fewer slots. A tenant that becomes active
 * starts level with the least-served active tenant, so idle time is not banked into a later burst.
 * One tenant's hundreds of queued tasks therefore delay another tenant's first task by at most the
 * backlog, not by the whole queue. Pure: no timers, no I/O.
 *
 * Each scheduler shares the fleet among its own queries; with several schedulers each assumes the
 * whole fleet, so the work queue may hold up to one fleet's worth per extra scheduler.
 */
export class FairShare {
  readonly #tenants = new Map<string, TenantShare>();
  readonly #options: FairShareOptions;
  #holding = 0;
  #held = 0;

  constructor(options: FairShareOptions) {
    this.#options = options;
  }

  /** Dispatches waiting for room, across tenants. */
  get held(): number {
    return this.#held;
  }

  /** Branches released to the work queue and not yet ended. */
  get holding(): number {
    return this.#holding;
  }

  /** Queues a dispatch of `tenant`; it is released now if there is room and nobody less served waits. */
  submit(tenant: string, dispatch: HeldDispatch): void {
    let share = this.#tenants.get(tenant);
    if (!share) {
      let least = Infinity;
      for (const s of this.#tenants.values()) least = Math.min(least, s.usage);
      share = { usage: Number.isFinite(least) ? least : 0, holding: 0, held: new FifoQueue() };
      this.#tenants.set(tenant, share);
    }
    share.held.push(dispatch);
    this.#held++;
    this.pump();
  }

  /** Counts tokens the tenant's branches generated. */
  charge(tenant: string, tokens: number): void {
    const share = this.#tenants.get(tenant);
    if (share) share.usage += tokens / this.#options.weight(tenant);
  }

  /** `branches` released by the tenant ended (finished, stopped, failed or given up): their slots are free. */
  ended(tenant: string, branches: number): void {
    const share = this.#tenants.get(tenant);
    if (!share || branches <= 0) return;
    const freed = Math.min(branches, share.holding);
    share.holding -= freed;
    this.#holding -= freed;
    this.#forgetIfIdle(tenant, share);
    this.pump();
  }

  /** Releases what fits, least-served tenant first. Call when the fleet may have grown. */
  pump(): void {
    const slots = this.#options.fleetSlots();
    const room = slots > 0 ? slots + Math.ceil(slots * this.#options.backlog) : Infinity;
    for (;;) {
      const next = this.#leastServed();
      if (!next) return;
      const [tenant, share] = next;
      const dispatch = share.held.peek()!;
      if (!dispatch.wanted()) {
        share.held.take();
        this.#held--;
        this.#forgetIfIdle(tenant, share);
        continue;
      }
      // Something is always let through when nothing runs, so a gang wider than the fleet still goes.
      if (this.#holding > 0 && this.#holding + dispatch.branches > room) return;
      share.held.take();
      this.#held--;
      share.holding += dispatch.branches;
      this.#holding += dispatch.branches;
      dispatch.release();
    }
  }

  #leastServed(): [string, TenantShare] | undefined {
    let best: [string, TenantShare] | undefined;
    for (const entry of this.#tenants) {
      const share = entry[1];
      if (share.held.length === 0) continue;
      if (!best) best = entry;
      else {
        const b = best[1];
        const less =
          share.usage < b.usage ||
          (share.usage === b.usage && share.holding / this.#options.weight(entry[0]) < b.holding / this.#options.weight(best[0]));
        if (less) best = entry;
      }
    }
    return best;
  }

  #forgetIfIdle(tenant: string, share: TenantShare): void {
    if (share.holding === 0 && share.held.length === 0) this.#tenants.delete(tenant);
  }
}
