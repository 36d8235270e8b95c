import type { TimedTrigger } from "../../../schemas/index.js";
import { sharedTimeContext, type TimeContext } from "./context.js";

/** Whole milliseconds of an `every:` period (dlt keeps µs; sub-ms periods do not occur in practice). */
export function periodMs(periodSeconds: number): number {
  return Math.round(periodSeconds * 1000);
}

/**
 * dlt `cron_floor` in `tz`: the latest tick ≤ `nowMs`, found on naive wall time and placed back in
 * the zone with fold=0. A `now` exactly on a tick counts as elapsed. During the hour after a
 * spring-forward this can be a skipped wall time that maps AFTER `nowMs` (dlt does the same);
 * computeRunWindow clamps windows to the dispatch instant.
 */
export function latestElapsedTick(cron: string, nowMs: number, tz: string, ctx: TimeContext = sharedTimeContext()): number {
  const { zones, crons } = ctx;
  return zones.wallToUtc(tz, crons.floor(cron, zones.utcToWall(tz, nowMs)));
}

/** The tick before the tick at `tickMs` (dlt: croniter `get_prev` from the tick's wall time). */
export function tickBefore(cron: string, tickMs: number, tz: string, ctx: TimeContext = sharedTimeContext()): number {
  const { zones, crons } = ctx;
  return zones.wallToUtc(tz, crons.before(cron, zones.utcToWall(tz, tickMs)));
}

/**
 * Next tick of `cron` strictly after `nowMs`, per dlt `next_scheduled_run`: next tick after the
 * naive wall time of `now`, placed in `tz` with fold=0. One guard on top: while `now` is inside
 * a repeated (fall-back) hour, dlt's rule yields a first-pass instant that already passed; we
 * return the first tick after the repeated hour instead, so the repeated hour gets no fires and
 * the result is always in the future.
 */
export function nextCronTick(cron: string, nowMs: number, tz: string, ctx: TimeContext = sharedTimeContext()): number {
  const { zones, crons } = ctx;
  const wall = zones.utcToWall(tz, nowMs);
  const tick = crons.next(cron, wall);
  const fire = zones.wallToUtc(tz, tick);
  if (fire > nowMs) return fire;
  const transition = zones.transitionAtOrBefore(tz, nowMs);
  if (Number.isNaN(transition)) return fire;
  const overlapEndWall = transition + zones.offsetMs(tz, transition - 1);
  return zones.wallToUtc(tz, crons.next(cron, overlapEndWall - 1));
}

/**
 * When a timed trigger fires next (scheduling.md §2). `prevFireMs` is the last fire of an
 * `every:` trigger (its cadence); ignored by the other types.
 */
export function nextFireTime(
  trigger: TimedTrigger,
  nowMs: number,
  tz: string,
  prevFireMs: number | null,
  ctx: TimeContext = sharedTimeContext(),
): number {
  switch (trigger.type) {
    case "schedule":
      return nextCronTick(trigger.cron, nowMs, tz, ctx);
    case "every": {
      const period = periodMs(trigger.periodSeconds);
      if (prevFireMs !== null && prevFireMs + period >= nowMs) return prevFireMs + period;
      return nowMs + period;
    }
    case "once":
      return Math.max(trigger.atMs, nowMs);
  }
}
