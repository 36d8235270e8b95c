/**
 * Fuzzing cron ticks on the scheduler's clock (issue 12, "Bad input"): for any valid cron of the
 * everyday shapes, any instant and a few zones, the next tick lies after now and the latest
 * elapsed tick at or before it; fixed seed and bounded runs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isValidCron } from "../../../schemas/index.js";
import { latestElapsedTick, nextCronTick } from "./fire-times.js";

const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"];

function field(min: number, max: number): fc.Arbitrary<string> {
  const n = fc.integer({ min, max });
  return fc.oneof(
    fc.constant("*"),
    n.map(String),
    fc.integer({ min: 1, max: Math.max(1, max - min) }).map((s) => `*/${s}`),
    fc.tuple(n, n).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
    fc.array(n, { minLength: 1, maxLength: 3 }).map((xs) => xs.join(",")),
  );
}

const cron = fc.tuple(field(0, 59), field(0, 23), field(1, 28), field(1, 12), field(0, 6)).map((parts) => parts.join(" "));
const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2090, 0, 1) });

describe("fuzzing cron ticks (fixed seed 12, 200 runs)", () => {
  it("next tick is after now and the latest elapsed tick is at or before now, in any zone", () => {
    fc.assert(
      fc.property(cron, instant, fc.constantFrom(...ZONES), (expr, nowMs, tz) => {
        expect(isValidCron(expr)).toBe(true);
        const next = nextCronTick(expr, nowMs, tz);
        expect(next).toBeGreaterThan(nowMs);
        // a yearly cron fires within ~1 year (+ a day for zone shifts)
        expect(next - nowMs).toBeLessThanOrEqual(367 * 86_400_000);
        const latest = latestElapsedTick(expr, nowMs, tz);
        expect(Number.isFinite(latest)).toBe(true);
        // spring-forward gaps may place the latest tick up to an hour after now (dlt does the same)
        expect(latest).toBeLessThanOrEqual(nowMs + 3_600_000);
      }),
      { seed: 12, numRuns: 200 },
    );
  });
});
