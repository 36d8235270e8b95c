import { CronExpressionParser } from "cron-parser";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileFastCron } from "./fast-cron.js";

function field(min: number, max: number): fc.Arbitrary<string> {
  const value = fc.integer({ min, max });
  return fc.oneof(
    { arbitrary: fc.constant("*"), weight: 3 },
    { arbitrary: value.map(String), weight: 2 },
    { arbitrary: fc.uniqueArray(value, { minLength: 1, maxLength: 4 }).map((v) => v.join(",")), weight: 2 },
    { arbitrary: fc.integer({ min: 1, max: Math.max(1, Math.floor((max - min) / 2)) }).map((step) => `*/${step}`), weight: 2 },
    { arbitrary: fc.tuple(value, value).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`), weight: 1 },
  );
}

const cronText = fc
  .tuple(fc.boolean(), field(0, 59), field(0, 59), field(0, 23), field(1, 31), field(1, 12), field(0, 6))
  .map(([withSeconds, s, m, h, dom, mon, dow]) => (withSeconds ? [s, m, h, dom, mon, dow] : [m, h, dom, mon, dow]).join(" "));

const wall = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) });

function oracle(expr: string, fromMs: number, reverse: boolean): number | "none" {
  const e = CronExpressionParser.parse(expr, { tz: "UTC", currentDate: fromMs });
  try {
    return (reverse ? e.prev() : e.next()).getTime();
  } catch {
    return "none";
  }
}

describe("compileFastCron agrees with cron-parser", () => {
  it("next and prev for random plain crons and instants (ms precision)", () => {
    fc.assert(
      fc.property(cronText, wall, (expr, from) => {
        let fields;
        try {
          fields = CronExpressionParser.parse(expr, { tz: "UTC" }).fields;
        } catch {
          fc.pre(false); // e.g. `31 4` (April 31st): cron-parser rejects it at parse time
          return;
        }
        const fast = compileFastCron(fields);
        expect(fast).not.toBeNull();
        for (const reverse of [false, true]) {
          const expected = oracle(expr, from, reverse);
          if (expected === "none") continue;
          expect(reverse ? fast!.prev(from) : fast!.next(from)).toBe(expected);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("strictness: a value exactly on a tick moves to the neighbouring tick", () => {
    const fast = compileFastCron(CronExpressionParser.parse("*/3 * * * *", { tz: "UTC" }).fields)!;
    const tick = Date.UTC(2026, 3, 14, 10, 6);
    expect(fast.next(tick)).toBe(tick + 180_000);
    expect(fast.prev(tick)).toBe(tick - 180_000);
    expect(fast.prev(tick + 1)).toBe(tick);
  });

  it("leap days and day-of-month/day-of-week OR", () => {
    const feb29 = compileFastCron(CronExpressionParser.parse("0 0 29 2 *", { tz: "UTC" }).fields)!;
    expect(new Date(feb29.next(Date.UTC(2025, 0, 1))).toISOString()).toBe("2028-02-29T00:00:00.000Z");
    expect(new Date(feb29.prev(Date.UTC(2025, 0, 1))).toISOString()).toBe("2024-02-29T00:00:00.000Z");
    const or = compileFastCron(CronExpressionParser.parse("0 12 13 * 5", { tz: "UTC" }).fields)!;
    expect(new Date(or.next(Date.UTC(2026, 1, 1))).toISOString()).toBe("2026-02-06T12:00:00.000Z"); // a Friday before the 13th
  });

  it("leaves L and # expressions to cron-parser", () => {
    expect(compileFastCron(CronExpressionParser.parse("0 0 L * *", { tz: "UTC" }).fields)).toBeNull();
    expect(compileFastCron(CronExpressionParser.parse("0 0 * * 5#3", { tz: "UTC" }).fields)).toBeNull();
  });
});
