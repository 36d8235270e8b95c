/** A job's freshness gate: every `job.is_fresh` constraint must pass (scheduling.md §9). */
import type { CompiledJob } from "./compiled-job.js";
import { checkUpstreamFresh } from "./deps.js";

export type FreshnessGate = { fresh: true } | { fresh: false; reason: string };

/** All failing constraints are reported, joined with "; ". An upstream that is not deployed is stale. */
export function checkJobFreshness(
  job: CompiledJob,
  activeJobs: ReadonlyMap<string, CompiledJob>,
  watermarks: ReadonlyMap<string, number | null>,
  nowMs: number,
): FreshnessGate {
  const reasons: string[] = [];
  for (const upstreamRef of job.freshnessUpstreams) {
    const upstream = activeJobs.get(upstreamRef);
    if (!upstream) {
      reasons.push(`${upstreamRef} is not deployed`);
      continue;
    }
    const result = checkUpstreamFresh(
      {
        jobType: upstream.jobType,
        defaultTrigger: upstream.defaultTrigger,
        tz: upstream.timezone,
        watermarkMs: watermarks.get(upstreamRef) ?? null,
        jobRef: upstreamRef,
      },
      nowMs,
    );
    if (!result.fresh) reasons.push(result.reason);
  }
  return reasons.length === 0 ? { fresh: true } : { fresh: false, reason: reasons.join("; ") };
}
