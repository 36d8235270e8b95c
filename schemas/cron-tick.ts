/** Whether an instant lies exactly on a cron tick, evaluated in UTC wall time (dlt's `cron_floor` check). */
import { compileCroniterSearch } from "./cron-calc.js";
import { expandCron } from "./cron.js";

/** Null when the cron is invalid or croniter finds no tick at or before `atMs` (dlt would raise). */
export function isCronTickUtc(cron: string, atMs: number): boolean | null {
  let floor: number | null;
  try {
    floor = compileCroniterSearch(expandCron(cron)).prev(atMs + 1);
  } catch {
    return null;
  }
  return floor === null ? null : floor === atMs;
}
