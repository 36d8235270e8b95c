/**
 * What a timed trigger does when the daemon boots (scheduling.md §2 DECISION): no catch-up
 * run at boot. A stored next fire still ahead is kept; one that passed while the daemon was
 * down moves to the first fire after the restart, and the job's next run is told that its
 * window covers the downtime. A `once:` that never fired fires now, exactly once.
 */
import type { TimedTrigger } from "../../schemas/trigger-types.js";
import { nextFireTime } from "./deps.js";
import { iso } from "./format.js";
import type { StoredTrigger } from "./store/scheduler-store.js";

export interface RestartPlan {
  state: StoredTrigger;
  missed?: { missedFromMs: number; downSinceMs: number; event: string; note: string };
}

export function planRestoredTrigger(
  trigger: TimedTrigger,
  state: StoredTrigger,
  tz: string,
  nowMs: number,
  lastAliveMs: number | null,
): RestartPlan {
  if (trigger.type === "once") {
    return { state: { ...state, nextFireMs: state.onceFired ? null : Math.max(trigger.atMs, nowMs) } };
  }
  if (state.nextFireMs !== null && state.nextFireMs >= nowMs) return { state };
  const next = nextFireTime(trigger, nowMs, tz, state.lastFireMs);
  const missedFromMs = state.nextFireMs ?? nowMs;
  const downSinceMs = lastAliveMs ?? missedFromMs;
  return {
    state: { ...state, nextFireMs: next },
    missed: {
      missedFromMs,
      downSinceMs,
      event: `daemon was down from ${iso(downSinceMs)} to ${iso(nowMs)}; missed ticks fold into the run at ${iso(next)}`,
      note: `covers ticks missed while the daemon was down (${iso(downSinceMs)} to ${iso(nowMs)})`,
    },
  };
}
