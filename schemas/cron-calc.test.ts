import { describe, expect, it } from "vitest";
import { compileCroniterSearch, nearestWeekday } from "./cron-calc.js";
import { expandCron } from "./cron.js";

const START = Date.parse("2026-01-30T22:59:30Z");

/** `count` ticks of `cron` from START, each from the previous one, as a croniter iterator gives them. */
function ticks(cron: string, count: number, reverse = false): Array<string | null> {
  const search = compileCroniterSearch(expandCron(cron));
  const out: Array<string | null> = [];
  let at: number | null = START;
  for (let i = 0; i < count && at !== null; i++) {
    at = reverse ? search.prev(at) : search.next(at);
    out.push(at === null ? null : new Date(at).toISOString().slice(0, 16));
  }
  return out;
}

// Expected values are croniter 6.2.4's (the generated golden table checks 456 expressions more).
describe("compileCroniterSearch — croniter's ticks for forms plain cron lacks", () => {
  it("W: the weekday nearest the 15th, and the 1st moving forward to Monday, never into another month", () => {
    expect(ticks("0 0 15w * *", 3)).toEqual(["2026-02-16T00:00", "2026-03-16T00:00", "2026-04-15T00:00"]);
    expect(ticks("0 0 1w * *", 3, true)).toEqual(["2026-01-01T00:00", "2025-12-01T00:00", "2025-11-03T00:00"]);
  });

  it("several # and L weekdays in one field", () => {
    expect(ticks("0 0 * * 1#1,3#2", 3)).toEqual(["2026-02-02T00:00", "2026-02-11T00:00", "2026-03-02T00:00"]);
    expect(ticks("0 0 * * l1,l5", 3)).toEqual(["2026-02-23T00:00", "2026-02-27T00:00", "2026-03-27T00:00"]);
  });

  it("L in day-of-month OR a weekday", () => {
    expect(ticks("0 0 l * 1", 3)).toEqual(["2026-01-31T00:00", "2026-02-02T00:00", "2026-02-09T00:00"]);
  });

  it("a year field: the tick in 2030, then none (croniter: failed to find next date)", () => {
    expect(ticks("0 0 1 1 * 0 2030", 2)).toEqual(["2030-01-01T00:00", null]);
    expect(ticks("0 0 1 1 * 0 2030", 1, true)).toEqual([null]);
  });

  it("day-of-month OR day-of-week fails as a whole when the day-of-month half never matches", () => {
    expect(ticks("0 0 30 2 mon", 1)).toEqual([null]);
    expect(ticks("0 0 1 * 1#2", 1)).toEqual([null]);
  });
});

describe("nearestWeekday", () => {
  it("Saturday → Friday, Sunday → Monday, except across the month's edges", () => {
    expect(nearestWeekday(2026, 2, 14)).toBe(13); // Sat → Fri
    expect(nearestWeekday(2026, 2, 15)).toBe(16); // Sun → Mon
    expect(nearestWeekday(2025, 11, 1)).toBe(3); // Sat the 1st → Mon the 3rd
    expect(nearestWeekday(2026, 5, 31)).toBe(29); // Sun the 31st → Fri the 29th
    expect(nearestWeekday(2026, 2, 31)).toBe(27); // past the month's end: its last day (Sat 28th) → Fri
  });
});
