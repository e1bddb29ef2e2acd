import { status } from "@grpc/grpc-js";
import { z } from "zod";
import { readSettingJson } from "@ttc/common";
import { ServiceError } from "./errors.js";

/** What one tenant may do; a limit left out is the scheduler's own. */
export interface TenantLimits {
  maxConcurrentQueries?: number;
  maxBranches?: number;
}

const tenantsFileSchema = z.strictObject({
  tenants: z
    .record(
      z.string(),
      z.strictObject({
        maxConcurrentQueries: z.int().min(1).max(100_000).optional(),
        maxBranches: z.int().min(1).max(100_000).optional(),
      }),
    )
    .superRefine((tenants, ctx) => {
      for (const name of Object.keys(tenants))
        if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name))
          ctx.addIssue({ code: "custom", path: [name], message: "a tenant is 1–64 letters, digits, _ . -" });
    }),
});

/**
 * The tenants file (`TTC_TENANTS_FILE`): `{"tenants": {"team-a": {"maxConcurrentQueries": 8,
 * "maxBranches": 16}}}`. Its tenant names are the only values of the per-tenant metric label.
 * @throws Error naming the file and the first problem.
 */
export function loadTenants(file: string): Map<string, TenantLimits> {
  const parsed = tenantsFileSchema.safeParse(readSettingJson("TTC_TENANTS_FILE", file));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`TTC_TENANTS_FILE: ${file}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return new Map(Object.entries(parsed.data.tenants));
}

/** The metric label of a tenant: its name when the tenants file lists it, else `other` (labels stay a fixed set). */
function tenantLabel(tenants: ReadonlyMap<string, TenantLimits>, tenant: string): string {
  return tenants.has(tenant) ? tenant : "other";
}

/**
 * Per-tenant admission: a query of more branches than its tenant may ask for is refused, and so is
 * one past the tenant's concurrent queries. Tenants the file does not list have only the scheduler's
 * limits. `inFlightChanged` reports queries in flight by metric label.
 */
export class TenantQuotas {
  readonly #inFlight = new Map<string, number>();

  constructor(
    private readonly tenants: ReadonlyMap<string, TenantLimits>,
    private readonly inFlightChanged: (label: string, inFlight: number) => void = () => {},
  ) {}

  /** Takes a place for the tenant's query; call the returned function once it has ended. @throws ServiceError */
  take(tenant: string, branches: number): () => void {
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
    this.inFlightChanged(label, inFlight);
  }
}
