/**
 * Watermark clearing: the cascade of a `refresh: always` success (decision 2) and the
 * explicit `--refresh` pre-flight (spec §8.5). The targets come from the pure
 * `refreshCascadeTargets` (freshness edges only, stops at `block`, skips interval-store jobs).
 */
import type { CompiledJob } from "./compiled-job.js";
import { refreshCascadeTargets, type CascadeJob } from "./deps.js";
import { activeRunCount, jobFreshness, type EngineContext } from "./engine-context.js";

/** Clears the watermarks of `rootRef`'s cascade targets (and the root's own if asked). */
export function clearCascade(ctx: EngineContext, rootRef: string, includeRoot: boolean): string[] {
  const targets = refreshCascadeTargets(rootRef, cascadeGraph(ctx));
  const refs = [...new Set([...(includeRoot ? [rootRef] : []), ...targets])];
  ctx.store.transaction(() => {
    for (const ref of refs) {
      ctx.store.clearWatermark(ref);
      ctx.watermarks.set(ref, null);
    }
  });
  return refs;
}

/** spec §8.5 pre-flight for an explicit `--refresh` of one selected job. */
export function explicitRefresh(ctx: EngineContext, job: CompiledJob): { cleared: string[]; warning: string | null } {
  const now = ctx.clock.now();
  let warning: string | null = null;
  if (job.intervalStore) return { cleared: [], warning: null };
  if (job.refreshPolicy === "block") warning = "--refresh ignored (refresh=block)";
  else if (activeRunCount(ctx, job.jobRef) > 0) warning = "--refresh skipped (job is running)";
  else {
    const gate = jobFreshness(ctx, job, now);
    if (!gate.fresh) warning = `--refresh skipped (${gate.reason})`;
  }
  if (warning) {
    ctx.events.emit("refresh:ignored", { jobRef: job.jobRef, reason: warning, atMs: now });
    return { cleared: [], warning };
  }
  const cleared = clearCascade(ctx, job.jobRef, true);
  ctx.events.emit("refresh:cleared", { rootRef: job.jobRef, cleared, atMs: now });
  return { cleared, warning: null };
}

function cascadeGraph(ctx: EngineContext): CascadeJob[] {
  return [...ctx.jobs.values()].map((job) => ({
    jobRef: job.jobRef,
    freshness: (job.definition.freshness as string[] | undefined) ?? [],
    upstreams: job.freshnessUpstreams,
    refresh: job.refreshPolicy,
    intervalStore: job.intervalStore,
  }));
}
