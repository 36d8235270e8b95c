/**
 * croniter 6.2.4's tick search (`croniter._calc_next` / `_calc`) on NAIVE wall time, ported step
 * for step so that every expression croniter accepts fires exactly where croniter fires it,
 * quirks included: `W`, `L`, several `#`, a year field, and the day-of-month OR day-of-week rule
 * that evaluates both halves and fails when either half has no tick within 50 years.
 *
 * Wall values are epoch ms read as a UTC calendar (zone-free). The search moves field by field
 * (year, month, day, hour, minute, second), never tick by tick.
 */
import type { CronFieldValue, ExpandedCron } from "./cron.js";

const MINUTE = 0;
const HOUR = 1;
const DAY = 2;
const MONTH = 3;
const DOW = 4;
const SECOND = 5;
const YEAR = 6;
/** croniter's default `max_years_between_matches`. */
const MAX_YEARS_BETWEEN_MATCHES = 50;

type Values = readonly CronFieldValue[];

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** A dateutil `relativedelta`: absolute fields replace, then plural fields are added. */
interface Delta {
  years?: number;
  months?: number;
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
}

function isLeap(year: number): boolean {
  return year % 400 === 0 || (year % 4 === 0 && year % 100 !== 0);
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function lastDayOfMonth(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : (DAYS[month - 1] ?? 31);
}

function toWall(ms: number): Wall {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

function toMs(w: Wall): number {
  const d = new Date(0);
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  d.setUTCHours(w.hour, w.minute, w.second, 0);
  return d.getTime();
}

function shift(w: Wall, r: Delta): Wall {
  const monthIndex = (w.year + (r.years ?? 0)) * 12 + (r.month ?? w.month) - 1 + (r.months ?? 0);
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12 + 1;
  const base: Wall = {
    year,
    month,
    day: Math.min(lastDayOfMonth(year, month), r.day ?? w.day),
    hour: r.hour ?? w.hour,
    minute: r.minute ?? w.minute,
    second: r.second ?? w.second,
  };
  const add = (((r.days ?? 0) * 24 + (r.hours ?? 0)) * 60 + (r.minutes ?? 0)) * 60 + (r.seconds ?? 0);
  return add === 0 ? base : toWall(toMs(base) + add * 1000);
}

/** Python `isoweekday() % 7`: 0 = Sunday. */
function weekday(year: number, month: number, day: number): number {
  const dayNumber = Math.floor(toMs({ year, month, day, hour: 0, minute: 0, second: 0 }) / 86_400_000);
  return (((dayNumber + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

function nextNearestDiff(x: number, toCheck: Values, rangeVal: number | null): number | null {
  for (const value of toCheck) {
    let d = value;
    if (rangeVal !== null) {
      if (d === "l") d = rangeVal;
      else if (typeof d === "number" && d > rangeVal) continue;
    }
    if (typeof d === "number" && d >= x) return d - x;
  }
  if (rangeVal === null) return null;
  const first = toCheck[0];
  return (typeof first === "number" ? first : rangeVal) - x + rangeVal;
}

function prevNearestDiff(x: number, toCheck: Values, rangeVal: number | null): number | null {
  const candidates = [...toCheck].reverse();
  for (const d of candidates) {
    if (typeof d === "number" && d <= x) return d - x;
  }
  if (candidates.includes("l")) return -x;
  if (rangeVal === null) return null;
  let candidate = candidates[0] as number;
  for (const c of candidates) {
    if ((c as number) <= rangeVal) {
      candidate = c as number;
      break;
    }
  }
  if (candidate > rangeVal) return -rangeVal;
  return candidate - x - rangeVal;
}

/** Days of the month falling on `dayOfWeek` (0 = Sunday), in order. */
function nthWeekdays(year: number, month: number, dayOfWeek: number): number[] {
  const first = weekday(year, month, 1);
  const out: number[] = [];
  for (let day = 1 + ((dayOfWeek - first + 7) % 7); day <= lastDayOfMonth(year, month); day += 7) out.push(day);
  return out;
}

/** croniter `_get_nearest_weekday`: the Mon–Fri day nearest to `day`, staying inside the month. */
export function nearestWeekday(year: number, month: number, wanted: number): number {
  const last = lastDayOfMonth(year, month);
  const day = Math.min(wanted, last);
  const dow = weekday(year, month, day);
  if (dow >= 1 && dow <= 5) return day;
  if (dow === 6) return day > 1 ? day - 1 : day + 2;
  return day < last ? day + 1 : day - 2;
}

type ProcResult = [changed: boolean | null, wall: Wall];

interface SearchSpec {
  fields: Values[];
  nth: ReadonlyMap<number, ReadonlySet<number | "l">>;
  nearest: ReadonlySet<number>;
  isPrev: boolean;
}

function restricted(values: Values | undefined): values is Values {
  return values !== undefined && !values.includes("*");
}

/** Moves to the matching day `diff` days away (the start of it going forward, its end going back). */
function toDay(d: Wall, diff: number, isPrev: boolean): Wall {
  return isPrev ? shift(d, { days: diff, hour: 23, minute: 59, second: 59 }) : shift(d, { days: diff, hour: 0, minute: 0, second: 0 });
}

/** No candidate day left in this month: the end of the previous one, or the start of the next. */
function leaveMonth(d: Wall, isPrev: boolean): Wall {
  if (isPrev) return shift(d, { days: -d.day, hour: 23, minute: 59, second: 59 });
  return shift(d, { days: lastDayOfMonth(d.year, d.month) - d.day + 1, hour: 0, minute: 0, second: 0 });
}

function pickDay(d: Wall, candidates: number[], isPrev: boolean): ProcResult {
  const usable = candidates.filter((c) => (isPrev ? c <= d.day : d.day <= c)).sort((a, b) => a - b);
  if (usable.length === 0) return [true, leaveMonth(d, isPrev)];
  const diff = (isPrev ? (usable[usable.length - 1] as number) : (usable[0] as number)) - d.day;
  return diff === 0 ? [false, d] : [true, toDay(d, diff, isPrev)];
}

function procYear(d: Wall, s: SearchSpec): ProcResult {
  const years = s.fields[YEAR];
  if (!restricted(years)) return [false, d];
  const diff = s.isPrev ? prevNearestDiff(d.year, years, null) : nextNearestDiff(d.year, years, null);
  if (diff === null) return [null, d];
  if (diff === 0) return [false, d];
  const edge = s.isPrev
    ? { month: 12, day: 31, hour: 23, minute: 59, second: 59 }
    : { month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  return [true, shift(d, { years: diff, ...edge })];
}

function procMonth(d: Wall, s: SearchSpec): ProcResult {
  const months = s.fields[MONTH];
  if (!restricted(months)) return [false, d];
  const diff = s.isPrev ? prevNearestDiff(d.month, months, 12) : nextNearestDiff(d.month, months, 12);
  if (diff === null || diff === 0) return [false, d];
  if (!s.isPrev) return [true, shift(d, { months: diff, day: 1, hour: 0, minute: 0, second: 0 })];
  const moved = shift(d, { months: diff });
  return [true, shift(moved, { day: lastDayOfMonth(moved.year, moved.month), hour: 23, minute: 59, second: 59 })];
}

function procDayOfMonth(d: Wall, s: SearchSpec): ProcResult {
  const days = s.fields[DAY];
  if (!restricted(days)) return [false, d];
  const last = lastDayOfMonth(d.year, d.month);
  if (days.includes("l") && last === d.day) return [false, d];
  let diff: number | null;
  if (s.isPrev) {
    // croniter bounds the backward search with the length of the PREVIOUS month
    const prevMonth = ((((d.month - 2) % 12) + 12) % 12) + 1;
    const prevYear = d.month === 1 ? d.year - 1 : d.year;
    diff = prevNearestDiff(d.day, days, lastDayOfMonth(prevYear, prevMonth));
  } else {
    diff = nextNearestDiff(d.day, days, last);
  }
  if (diff === null || diff === 0) return [false, d];
  return [true, toDay(d, diff, s.isPrev)];
}

function procDayOfWeek(d: Wall, s: SearchSpec): ProcResult {
  const dows = s.fields[DOW];
  if (!restricted(dows)) return [false, d];
  const x = weekday(d.year, d.month, d.day);
  const diff = s.isPrev ? prevNearestDiff(x, dows, 7) : nextNearestDiff(x, dows, 7);
  if (diff === null || diff === 0) return [false, d];
  return [true, toDay(d, diff, s.isPrev)];
}

function procNthWeekday(d: Wall, s: SearchSpec): ProcResult {
  const candidates: number[] = [];
  for (const [dow, nths] of s.nth) {
    const days = nthWeekdays(d.year, d.month, dow);
    for (const n of nths) {
      const day = n === "l" ? days[days.length - 1] : days[n - 1];
      if (day !== undefined) candidates.push(day);
    }
  }
  return pickDay(d, candidates, s.isPrev);
}

function procNearestWeekday(d: Wall, s: SearchSpec): ProcResult {
  return pickDay(d, [...s.nearest].map((day) => nearestWeekday(d.year, d.month, day)), s.isPrev);
}

function procTime(d: Wall, s: SearchSpec, field: typeof HOUR | typeof MINUTE): ProcResult {
  const values = s.fields[field];
  if (!restricted(values)) return [false, d];
  const x = field === HOUR ? d.hour : d.minute;
  const range = field === HOUR ? 24 : 60;
  const diff = s.isPrev ? prevNearestDiff(x, values, range) : nextNearestDiff(x, values, range);
  if (diff === null || diff === 0) return [false, d];
  const edge = s.isPrev ? 59 : 0;
  if (field === HOUR) return [true, shift(d, { hours: diff, minute: edge, second: edge })];
  return [true, shift(d, { minutes: diff, second: edge })];
}

function procSecond(d: Wall, s: SearchSpec): ProcResult {
  if (s.fields.length <= 5) return [false, { ...d, second: 0 }];
  const seconds = s.fields[SECOND];
  if (!restricted(seconds)) return [false, d];
  const diff = s.isPrev ? prevNearestDiff(d.second, seconds, 60) : nextNearestDiff(d.second, seconds, 60);
  if (diff === null || diff === 0) return [false, d];
  return [true, shift(d, { seconds: diff })];
}

type Proc = (d: Wall, s: SearchSpec) => ProcResult;

const PROCS_HEAD: Proc[] = [procYear, procMonth];
const PROCS_TAIL: Proc[] = [(d, s) => procTime(d, s, HOUR), (d, s) => procTime(d, s, MINUTE), procSecond];

/** croniter `_calc`: one search with the fields as given; null where croniter raises CroniterBadDateError. */
function calc(nowMs: number, s: SearchSpec): number | null {
  const withSeconds = s.fields.length > 5;
  // croniter steps -1 µs back or one unit forward, then truncates; on whole ms, -1 ms is the same
  let d = toWall(s.isPrev ? nowMs - 1 : nowMs + (withSeconds ? 1000 : 60_000));
  if (!withSeconds) d = { ...d, second: 0 };
  const procs: Proc[] = [
    ...PROCS_HEAD,
    s.nearest.size > 0 ? procNearestWeekday : procDayOfMonth,
    s.nth.size > 0 ? procNthWeekday : procDayOfWeek,
    ...PROCS_TAIL,
  ];
  const startYear = d.year;
  search: while (Math.abs(d.year - startYear) <= MAX_YEARS_BETWEEN_MATCHES) {
    for (const proc of procs) {
      const [changed, moved] = proc(d, s);
      d = moved;
      if (changed === null) break search;
      if (changed) continue search;
    }
    return toMs(d);
  }
  return null;
}

/** Tick search with croniter's semantics; `null` where croniter raises "failed to find next/prev date". */
export interface CroniterSearch {
  /** croniter `get_next` from `wallMs`: the first tick strictly after it. */
  next(wallMs: number): number | null;
  /** croniter `get_prev` from `wallMs`: the last tick strictly before it. */
  prev(wallMs: number): number | null;
}

/** croniter `_calc_next`, including its day-of-month OR day-of-week split. */
export function compileCroniterSearch(cron: ExpandedCron): CroniterSearch {
  const fields = cron.fields.map((values) => [...values]);
  const dayFirst = fields[DAY]?.[0];
  const dowFirst = fields[DOW]?.[0];
  const split = dayFirst !== "*" && dowFirst !== "*";
  const spec = (isPrev: boolean, override: { field: number; values: Values } | null): SearchSpec => ({
    fields: override === null ? fields : fields.map((v, i) => (i === override.field ? override.values : v)),
    nth: cron.nthWeekday,
    nearest: cron.nearestWeekday,
    isPrev,
  });
  function run(wallMs: number, isPrev: boolean): number | null {
    if (!split) return calc(wallMs, spec(isPrev, null));
    const byDay = calc(wallMs, spec(isPrev, { field: DOW, values: ["*"] }));
    const byWeekday = calc(wallMs, spec(isPrev, { field: DAY, values: ["*"] }));
    if (byDay === null || byWeekday === null) return null;
    return isPrev ? Math.max(byDay, byWeekday) : Math.min(byDay, byWeekday);
  }
  return { next: (wallMs) => run(wallMs, false), prev: (wallMs) => run(wallMs, true) };
}
