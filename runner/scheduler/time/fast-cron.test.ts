import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileCroniterSearch, expandCron } from "../../../schemas/index.js";
import { compileFastCron, type FastCron } from "./fast-cron.js";

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

// croniter order: a 6th field is seconds, LAST
const cronText = fc
  .tuple(fc.boolean(), field(0, 59), field(0, 59), field(0, 23), field(1, 31), field(1, 12), field(0, 6))
  .map(([withSeconds, s, m, h, dom, mon, dow]) => [m, h, dom, mon, dow, ...(withSeconds ? [s] : [])].join(" "));

const wall = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) });

function fast(expr: string): FastCron {
  const compiled = compileFastCron(expandCron(expr));
  if (compiled === null) throw new Error(`${expr} is not plain`);
  return compiled;
}

describe("compileFastCron agrees with the croniter port (schemas/cron-calc.ts)", () => {
  it("next and prev for random plain crons and instants (ms precision)", () => {
    fc.assert(
      fc.property(cronText, wall, (expr, from) => {
        const expanded = expandCron(expr);
        const quick = compileFastCron(expanded);
        const croniter = compileCroniterSearch(expanded);
        if (quick === null) {
          // only day/month pairs that never occur (`31 4`) are left to the port, where croniter fails
          expect(croniter.next(from)).toBeNull();
          return;
        }
        expect(quick.next(from)).toBe(croniter.next(from));
        expect(quick.prev(from)).toBe(croniter.prev(from));
      }),
      { numRuns: 1000 },
    );
  });

  it("strictness: a value exactly on a tick moves to the neighbouring tick", () => {
    const every3 = fast("*/3 * * * *");
    const tick = Date.UTC(2026, 3, 14, 10, 6);
    expect(every3.next(tick)).toBe(tick + 180_000);
    expect(every3.prev(tick)).toBe(tick - 180_000);
    expect(every3.prev(tick + 1)).toBe(tick);
  });

  it("leap days and day-of-month/day-of-week OR", () => {
    const feb29 = fast("0 0 29 2 *");
    expect(new Date(feb29.next(Date.UTC(2025, 0, 1))).toISOString()).toBe("2028-02-29T00:00:00.000Z");
    expect(new Date(feb29.prev(Date.UTC(2025, 0, 1))).toISOString()).toBe("2024-02-29T00:00:00.000Z");
    const or = fast("0 12 13 * 5");
    expect(new Date(or.next(Date.UTC(2026, 1, 1))).toISOString()).toBe("2026-02-06T12:00:00.000Z"); // a Friday before the 13th
  });

  it("leaves L, #, W, a restricted year and never-matching day/month pairs to the croniter port", () => {
    for (const expr of ["0 0 L * *", "0 0 * * 5#3", "0 0 * * l5", "0 0 15w * *", "0 0 1 1 * 0 2030", "0 0 30 2 mon"]) {
      expect([expr, compileFastCron(expandCron(expr))]).toEqual([expr, null]);
    }
    expect(compileFastCron(expandCron("0 0 * * * 0 *"))).not.toBeNull();
  });
});
