import type { ParsedTrigger } from "../../../schemas/index.js";
import { sharedTimeContext, type TimeContext } from "./context.js";
import { periodMs } from "./fire-times.js";

/** A half-open `[startMs, endMs)` window in epoch ms UTC. */
export interface TimeWindow {
  startMs: number;
  endMs: number;
}

/**
 * dlt `compute_run_interval` (scheduling.md §4), unguarded: the result can be inverted in DST
 * corners and with a watermark past the latest tick; computeRunWindow applies the guards.
 * `trigger` is the job's default trigger when it has one, else the trigger that caused the run.
 */
export function computeRunInterval(
  trigger: ParsedTrigger,
  nowMs: number,
  watermarkMs: number | null,
  tz: string,
  ctx: TimeContext = sharedTimeContext(),
): TimeWindow {
  switch (trigger.type) {
    case "schedule": {
      const { zones, crons } = ctx;
      const endWall = crons.floor(trigger.cron, zones.utcToWall(tz, nowMs));
      const endMs = zones.wallToUtc(tz, endWall);
      // the natural start comes from the naive tick, not from a round trip through UTC (dlt)
      const startMs = watermarkMs ?? zones.wallToUtc(tz, crons.before(trigger.cron, endWall));
      return { startMs, endMs };
    }
    case "every":
      return { startMs: watermarkMs ?? nowMs - periodMs(trigger.periodSeconds), endMs: nowMs };
    case "once":
      return { startMs: trigger.atMs, endMs: trigger.atMs };
    default:
      return { startMs: nowMs, endMs: nowMs };
  }
}
