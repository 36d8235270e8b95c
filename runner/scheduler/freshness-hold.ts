/**
 * Releasing freshness-held runs (docs/scheduling.md decision 3): when an upstream succeeds,
 * each downstream holding a retry re-checks its gate at once. A passing gate dispatches the
 * retry once; a still-stale gate only updates the reason (no polling).
 */
import { dispatch } from "./dispatch.js";
import { jobFreshness, safely, type EngineContext } from "./engine-context.js";

export function releaseHeld(ctx: EngineContext, upstreamRef: string): void {
  for (const downstreamRef of ctx.freshnessDownstream.get(upstreamRef) ?? []) {
    const held = ctx.held.get(downstreamRef);
    const job = ctx.jobs.get(downstreamRef);
    if (!held || !job) continue;
    safely(ctx, downstreamRef, "release held run", () => {
      const gate = jobFreshness(ctx, job, ctx.clock.now());
      if (!gate.fresh) {
        const updated = { ...held, reason: `held by freshness: ${gate.reason}` };
        ctx.store.setHeld(updated);
        ctx.held.set(downstreamRef, updated);
        return;
      }
      ctx.store.deleteHeld(downstreamRef);
      ctx.held.delete(downstreamRef);
      dispatch(ctx, job, held.trigger, "retry");
    });
  }
}
