import type { CronFieldCollection } from "cron-parser";

const DAY_MS = 86_400_000;
/** Day steps before giving up (~55 years): a cron like `0 0 30 2 *` never matches. */
const MAX_DAY_STEPS = 20_000;

/** Tick search on naive UTC wall values, strictly after / strictly before the argument. */
export interface FastCron {
  next(wallMs: number): number;
  prev(wallMs: number): number;
}

/** Year, month (1–12) and day of a day number (days since 1970-01-01), proleptic Gregorian. */
function civil(dayNumber: number): { year: number; month: number; day: number } {
  const z = dayNumber + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: era * 400 + yoe + (month <= 2 ? 1 : 0), month, day };
}

function flags(values: readonly number[], size: number): boolean[] {
  const out = new Array<boolean>(size).fill(false);
  for (const v of values) out[v] = true;
  return out;
}

/**
 * Integer arithmetic over the fields cron-parser parsed, for expressions made of plain values
 * (no `L`, no `#`), which is nearly every real schedule; returns null otherwise so the caller
 * falls back to cron-parser itself. Day rules follow cron-parser: day-of-month and day-of-week
 * are OR-ed when both are restricted. ~1 µs per call instead of cron-parser's tens of µs.
 */
export function compileFastCron(fields: CronFieldCollection): FastCron | null {
  const { second, minute, hour, dayOfMonth, month, dayOfWeek } = fields;
  if (dayOfMonth.hasLastChar || dayOfWeek.hasLastChar || (dayOfWeek.nthDay ?? 0) > 0) return null;
  const all = [second.values, minute.values, hour.values, dayOfMonth.values, month.values, dayOfWeek.values];
  if (!all.every((values) => (values as readonly unknown[]).every((v) => typeof v === "number"))) return null;
  const seconds = [...(second.values as number[])].sort((a, b) => a - b);
  const minutes = [...(minute.values as number[])].sort((a, b) => a - b);
  const hours = [...(hour.values as number[])].sort((a, b) => a - b);
  const doms = flags(dayOfMonth.values as number[], 32);
  const months = flags(month.values as number[], 13);
  const dows = flags((dayOfWeek.values as number[]).map((v) => v % 7), 7);
  const domWild = dayOfMonth.isWildcard;
  const dowWild = dayOfWeek.isWildcard;
  if (seconds.length === 0 || minutes.length === 0 || hours.length === 0) return null;

  function dayMatches(dayNumber: number, dom: number): boolean {
    const dow = (((dayNumber + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    if (domWild && dowWild) return true;
    if (domWild) return dows[dow] === true;
    if (dowWild) return doms[dom] === true;
    return doms[dom] === true || dows[dow] === true;
  }

  /** Seconds of day of the earliest time ≥ (h0, m0, s0), or -1. */
  function earliest(h0: number, m0: number, s0: number): number {
    for (const h of hours) {
      if (h < h0) continue;
      for (const m of minutes) {
        if (h === h0 && m < m0) continue;
        for (const s of seconds) {
          if (h === h0 && m === m0 && s < s0) continue;
          return h * 3600 + m * 60 + s;
        }
      }
    }
    return -1;
  }

  /** Seconds of day of the latest time ≤ (h0, m0, s0), or -1. */
  function latest(h0: number, m0: number, s0: number): number {
    for (let i = hours.length - 1; i >= 0; i--) {
      const h = hours[i] as number;
      if (h > h0) continue;
      for (let j = minutes.length - 1; j >= 0; j--) {
        const m = minutes[j] as number;
        if (h === h0 && m > m0) continue;
        for (let k = seconds.length - 1; k >= 0; k--) {
          const s = seconds[k] as number;
          if (h === h0 && m === m0 && s > s0) continue;
          return h * 3600 + m * 60 + s;
        }
      }
    }
    return -1;
  }

  function search(fromSecondMs: number, forward: boolean): number {
    let dayNumber = Math.floor(fromSecondMs / DAY_MS);
    let sod = (fromSecondMs - dayNumber * DAY_MS) / 1000;
    for (let steps = 0; steps < MAX_DAY_STEPS; steps++) {
      const { year, month, day } = civil(dayNumber);
      if (!months[month]) {
        // jump to the first day of the next month, or the last day of the previous one
        const target = forward ? Date.UTC(year, month, 1) : Date.UTC(year, month - 1, 0);
        dayNumber = target / DAY_MS;
        sod = forward ? 0 : 86_399;
        continue;
      }
      if (dayMatches(dayNumber, day)) {
        const h = Math.floor(sod / 3600);
        const m = Math.floor((sod % 3600) / 60);
        const found = forward ? earliest(h, m, sod % 60) : latest(h, m, sod % 60);
        if (found >= 0) return dayNumber * DAY_MS + found * 1000;
      }
      dayNumber += forward ? 1 : -1;
      sod = forward ? 0 : 86_399;
    }
    throw new Error("Invalid expression, loop limit exceeded");
  }

  return {
    next: (wallMs) => search(Math.floor(wallMs / 1000) * 1000 + 1000, true),
    prev: (wallMs) => search(Math.ceil(wallMs / 1000) * 1000 - 1000, false),
  };
}
