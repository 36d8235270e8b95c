/** Freshness constraints `job.is_fresh:<ref>` / `job.is_matching_interval_fresh:<ref>` (manifest.md §3). */

export const FRESHNESS_TYPES = ["job.is_matching_interval_fresh", "job.is_fresh"] as const;
export type FreshnessType = (typeof FRESHNESS_TYPES)[number];

export interface FreshnessConstraint {
  type: FreshnessType;
  upstreamRef: string;
  raw: string;
}

export class InvalidFreshnessConstraintError extends Error {
  override readonly name = "InvalidFreshnessConstraintError";
  constructor(
    readonly constraint: string,
    readonly reason: string,
  ) {
    super(`Invalid freshness constraint '${constraint}': ${reason}`);
  }
}

export function parseFreshnessConstraint(raw: string): FreshnessConstraint {
  const colon = raw.indexOf(":");
  if (colon < 0) throw new InvalidFreshnessConstraintError(raw, "must be in type:expr form");
  const type = raw.slice(0, colon);
  const expr = raw.slice(colon + 1);
  if (!(FRESHNESS_TYPES as readonly string[]).includes(type)) {
    throw new InvalidFreshnessConstraintError(raw, `unknown type '${type}'`);
  }
  if (!expr) throw new InvalidFreshnessConstraintError(`${type}:`, "requires a job_ref");
  if (!expr.startsWith("jobs.")) throw new InvalidFreshnessConstraintError(raw, "expression must start with 'jobs.'");
  return { type: type as FreshnessType, upstreamRef: expr, raw };
}
