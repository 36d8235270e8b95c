import { createCronTicks, type CronTicks } from "./cron-ticks.js";
import { createZoneOffsets, type ZoneOffsets } from "./zone-offsets.js";

/** The memo caches the time maths runs on. Pure functions of their inputs; safe to share. */
export interface TimeContext {
  zones: ZoneOffsets;
  crons: CronTicks;
}

export interface TimeContextLimits {
  /** Compiled cron expressions kept (default 1024). */
  maxCrons?: number;
  /** UTC days of offsets kept per zone (default 4096). */
  maxDaysPerZone?: number;
}

export function createTimeContext(limits: TimeContextLimits = {}): TimeContext {
  return { zones: createZoneOffsets(limits.maxDaysPerZone), crons: createCronTicks(limits.maxCrons) };
}

// The one piece of module state: bounded memo caches created on first use, never at import. They
// only remember results of pure functions, so sharing them cannot change any answer.
let shared: TimeContext | undefined;

export function sharedTimeContext(): TimeContext {
  shared ??= createTimeContext();
  return shared;
}
