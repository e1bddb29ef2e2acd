import { status } from "@grpc/grpc-js";
import { z } from "zod";
import { readSettingJson } from "@ttc/common";
import { ServiceError } from "./errors.js";
import { TokenBucket } from "./token-bucket.js";

/** What one tenant may do; a limit left out is the scheduler's own. */
export interface TenantLimits {
  maxConcurrentQueries?: number;
  maxBranches?: number;
  /** Generated tokens a minute: a token bucket charged as tokens stream in. */
  tokensPerMinute?: number;
  /** The bucket's size (what an idle tenant may spend at once). @default tokensPerMinute */
  burstTokens?: number;
  /** The tenant's share of the worker fleet relative to others (fair sharing by tokens). @default 1 */
  weight?: number;
  /** Verifiers the tenant may ask for (e.g. keep the paid `judge` to some); unset: any. */
  verifiers?: string[];
  /** Engine models the tenant may ask for (the request's `model`; "" is the engine's default); unset: any. */
  models?: string[];
}

/** The tenants file: each tenant's limits, and whether callers it does not list are served. */
export interface Tenants {
  tenants: Map<string, TenantLimits>;
  /** False: a caller whose tenant the file does not list is PERMISSION_DENIED. @default true */
  allowUnlisted: boolean;
}

const tenantsFileSchema = z.strictObject({
  tenants: z
    .record(
      z.string(),
      z.strictObject({
        maxConcurrentQueries: z.int().min(1).max(100_000).optional(),
        maxBranches: z.int().min(1).max(100_000).optional(),
        tokensPerMinute: z.int().min(1).max(1e12).optional(),
        burstTokens: z.int().min(1).max(1e12).optional(),
        weight: z.number().min(0.001).max(1000).optional(),
        verifiers: z.array(z.string().min(1)).optional(),
        models: z.array(z.string()).optional(),
      }),
    )
    .superRefine((tenants, ctx) => {
      for (const name of Object.keys(tenants))
        if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name))
          ctx.addIssue({ code: "custom", path: [name], message: "a tenant is 1–64 letters, digits, _ . -" });
    }),
  allowUnlisted: z.boolean().optional(),
});

/**
 * The tenants file (`TTC_TENANTS_FILE`): `{"tenants": {"team-a": {"maxConcurrentQueries": 8,
 * "maxBranches": 16, "tokensPerMinute": 200000, "burstTokens": 50000, "weight": 2}}}`. Its tenant names are the only values of the per-tenant metric label.
 * @throws Error naming the file and the first problem.
 */
export function loadTenants(file: string): Tenants {
  const parsed = tenantsFileSchema.safeParse(readSettingJson("TTC_TENANTS_FILE", file));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`TTC_TENANTS_FILE: ${file}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return { tenants: new Map(Object.entries(parsed.data.tenants)), allowUnlisted: parsed.data.allowUnlisted ?? true };
}

/** No tenants file: every caller is served, with the scheduler's limits only. */
export const noTenants: Tenants = { tenants: new Map(), allowUnlisted: true };

/** The metric label of a tenant: its name when the tenants file lists it, else `other` (labels stay a fixed set). */
function tenantLabel(tenants: ReadonlyMap<string, TenantLimits>, tenant: string): string {
  return tenants.has(tenant) ? tenant : "other";
}

/** How the quotas report what they count, by metric label. */
export interface TenantQuotaEvents {
  inFlightChanged?(label: string, inFlight: number): void;
  charged?(label: string, tokens: number): void;
}

/**
 * Per-tenant admission: a query of more branches than its tenant may ask for is refused, and so is
 * one past the tenant's concurrent queries or while its token bucket is empty (with the wait until
 * it holds a token again). Tenants the file does not list have only the scheduler's limits.
 */
export class TenantQuotas {
  readonly #inFlight = new Map<string, number>();
  readonly #buckets = new Map<string, TokenBucket>();

  private readonly tenants: ReadonlyMap<string, TenantLimits>;
  private readonly allowUnlisted: boolean;

  constructor(
    file: Tenants,
    private readonly events: TenantQuotaEvents = {},
    now: number = Date.now(),
  ) {
    this.tenants = file.tenants;
    this.allowUnlisted = file.allowUnlisted;
    for (const [name, limits] of this.tenants)
      if (limits.tokensPerMinute !== undefined)
        this.#buckets.set(name, new TokenBucket(limits.tokensPerMinute, limits.burstTokens ?? limits.tokensPerMinute, now));
  }

  /** The tenant's share of the fleet (its `weight`, 1 when unset). */
  weight(tenant: string): number {
    return this.tenants.get(tenant)?.weight ?? 1;
  }

  /**
   * Charges tokens the tenant's queries generated. True when this charge emptied its bucket: its
   * running queries must stop now.
   */
  charge(tenant: string, tokens: number, now: number = Date.now()): boolean {
    this.events.charged?.(tenantLabel(this.tenants, tenant), tokens);
    const bucket = this.#buckets.get(tenant);
    if (!bucket) return false;
    const before = bucket.level(now);
    const after = bucket.charge(tokens, now);
    return before > 0 && after <= 0;
  }

  /** Ms until the tenant's token bucket holds a token again (0: it does now, or the tenant has no budget). */
  budgetWaitMs(tenant: string, now: number = Date.now()): number {
    return this.#buckets.get(tenant)?.msUntilPositive(now) ?? 0;
  }

  /**
   * Refuses a query its tenant may not make: a tenant the file does not list when it serves only
   * listed ones, or a verifier or model outside the tenant's lists. @throws ServiceError PERMISSION_DENIED
   */
  permit(tenant: string, query: { verifier: string; model: string }): void {
    const limits = this.tenants.get(tenant);
    if (!limits) {
      if (this.allowUnlisted) return;
      throw new ServiceError(
        status.PERMISSION_DENIED,
        `tenant ${tenant} is not one of the tenants this scheduler serves; ask its operator to add it to TTC_TENANTS_FILE`,
      );
    }
    if (limits.verifiers && !limits.verifiers.includes(query.verifier))
      throw new ServiceError(
        status.PERMISSION_DENIED,
        `verifier: tenant ${tenant} may not use "${query.verifier}"; it may use ${limits.verifiers.join(", ") || "none"}`,
      );
    if (limits.models && !limits.models.includes(query.model))
      throw new ServiceError(
        status.PERMISSION_DENIED,
        `model: tenant ${tenant} may not use "${query.model}"; it may use ${limits.models.map((m) => JSON.stringify(m)).join(", ") || "none"}`,
      );
  }

  /** Takes a place for the tenant's query; call the returned function once it has ended. @throws ServiceError */
  take(tenant: string, branches: number, now: number = Date.now()): () => void {
    const limits = this.tenants.get(tenant);
    if (limits?.maxBranches !== undefined && branches > limits.maxBranches)
      throw new ServiceError(
        status.INVALID_ARGUMENT,
        `max_branches: ${branches} is over tenant ${tenant}'s limit of ${limits.maxBranches}`,
      );
    const label = tenantLabel(this.tenants, tenant);
    const inFlight = this.#inFlight.get(label) ?? 0;
    if (limits?.maxConcurrentQueries !== undefined && inFlight >= limits.maxConcurrentQueries)
      throw new ServiceError(
        status.RESOURCE_EXHAUSTED,
        `tenant ${tenant} is at its limit of ${limits.maxConcurrentQueries} concurrent queries; retry with backoff`,
      );
    const waitMs = this.budgetWaitMs(tenant, now);
    if (waitMs > 0)
      throw new ServiceError(
        status.RESOURCE_EXHAUSTED,
        `tenant ${tenant} has spent its budget of ${limits!.tokensPerMinute} tokens a minute; retry in ${(waitMs / 1000).toFixed(1)} s`,
        { retryDelayMs: waitMs },
      );
    this.#set(label, inFlight + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#set(label, (this.#inFlight.get(label) ?? 1) - 1);
    };
  }

  #set(label: string, inFlight: number): void {
    this.#inFlight.set(label, inFlight);
    this.events.inFlightChanged?.(label, inFlight);
  }
}
