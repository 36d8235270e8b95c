import { InvalidFreshnessConstraintError, parseFreshnessConstraint } from "../../../schemas/index.js";

export type RefreshPolicy = "always" | "auto" | "block";

export interface CascadeJob {
  jobRef: string;
  /** Freshness constraints as in the manifest, e.g. `job.is_fresh:jobs.mod.ingest`. */
  freshness: readonly string[];
  /** Upstream keys when the caller has resolved them (workspace-scoped); else parsed from `freshness`. */
  upstreams?: readonly string[] | undefined;
  refresh?: RefreshPolicy | undefined;
  /** Interval-store job (`interval` + `allow_external_schedulers`): keeps no watermark. */
  intervalStore?: boolean | undefined;
}

/** Upstream ref of a constraint; unparseable constraints are no edge (as in dlt). */
function upstreamOf(constraint: string): string | null {
  try {
    return parseFreshnessConstraint(constraint).upstreamRef;
  } catch (error) {
    if (error instanceof InvalidFreshnessConstraintError) return null;
    throw error;
  }
}

/**
 * Jobs whose watermarks a refresh started at `rootRef` clears (scheduling.md §8.3, dlt
 * `get_refresh_cascade_targets`): breadth-first over freshness edges only, in BFS order with
 * siblings in `jobs` order. The root is excluded; `block` nodes and interval-store jobs are
 * neither included nor walked through, yet stay reachable to other paths (diamonds).
 */
export function refreshCascadeTargets(rootRef: string, jobs: readonly CascadeJob[]): string[] {
  // upstream ref → downstream jobs in `jobs` order; one edge per (downstream, upstream)
  const downstream = new Map<string, CascadeJob[]>();
  for (const job of jobs) {
    const linked = new Set<string>();
    for (const upstream of job.upstreams ?? job.freshness.map(upstreamOf)) {
      if (upstream === null || upstream === job.jobRef || linked.has(upstream)) continue;
      linked.add(upstream);
      const list = downstream.get(upstream);
      if (list === undefined) downstream.set(upstream, [job]);
      else list.push(job);
    }
  }
  const seen = new Set<string>([rootRef]);
  const result: string[] = [];
  for (let head = -1; head < result.length; head++) {
    const current = head < 0 ? rootRef : (result[head] as string);
    for (const job of downstream.get(current) ?? []) {
      if (seen.has(job.jobRef) || job.refresh === "block" || job.intervalStore === true) continue;
      seen.add(job.jobRef);
      result.push(job.jobRef);
    }
  }
  return result;
}
