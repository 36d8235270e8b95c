/**
 * Fuzzing of the text grammars users type (issue 12, "Bad input"): triggers, selectors, cron,
 * periods, timestamps. Every input either parses or fails with the grammar's own error class;
 * nothing else escapes. Fixed seeds and bounded runs keep the file deterministic and fast.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CronSyntaxError, expandCron, isValidCron } from "./cron.js";
import { isCronTickUtc } from "./cron-tick.js";
import { AmbiguousJobRefError, InvalidJobRefError, JobRefNotFoundError } from "./job-ref.js";
import { InvalidPeriodError, parsePeriodSeconds } from "./period.js";
import { isSelector, matchTriggersWithSelectors, selectJobs } from "./selectors.js";
import { InvalidTimestampError, parseOnceTimestamp, tryParseTimestamp } from "./timestamp.js";
import { InvalidTriggerError, parseTrigger, tryParseTrigger } from "./triggers.js";

const RUNS = { seed: 12, numRuns: 300 } as const;

/** Strings built from the grammar's own tokens plus noise, so fuzzing reaches deep branches. */
function tokens(parts: readonly string[], maxLength = 8): fc.Arbitrary<string> {
  const piece = fc.oneof(fc.constantFrom(...parts), fc.string({ maxLength: 4 }), fc.string({ unit: "binary", maxLength: 3 }));
  return fc.array(piece, { maxLength }).map((xs) => xs.join(""));
}

const CRON_PARTS = ["*", "*/", "/", ",", "-", " ", "0", "1", "5", "7", "12", "31", "59", "60", "99999999999", "L", "W", "#", "?", "jan", "MON", "sun", "@daily", "@hourly", "@reboot", "H", "-1", "1.5", "\t"];
const PERIOD_PARTS = ["1", "5", "0", ".", "e", "E", "+", "-", "m", "h", "d", "s", "w", "inf", "nan", "_", " ", "1e308", "1e-9", "0x1", "9".repeat(40)];
const STAMP_PARTS = ["2026", "-", "01", "12", "31", "T", " ", ":", "00", "59", "Z", "+", "02:00", ".", "123456", "1e9", "inf", "nan", "9999", "0000", "13", "24", "60"];
const TRIGGER_TYPES = ["schedule:", "every:", "once:", "manual:", "http:", "job.success:", "job.fail:", "tag:", "deployment:", "interactive:", "jobs.", "a.b", "*", "?", "[", "]", "!", ":"];

function throwsOnly(run: () => unknown, ...allowed: (abstract new (...args: never[]) => Error)[]): void {
  try {
    run();
  } catch (error) {
    if (allowed.some((cls) => error instanceof cls)) {
      expect((error as Error).message.length).toBeGreaterThan(0);
      return;
    }
    throw error;
  }
}

describe("fuzzing the grammars (fixed seed 12, 300 runs each)", () => {
  it("cron: any text either expands or raises CronSyntaxError, and isValidCron agrees", () => {
    fc.assert(
      fc.property(fc.oneof(tokens(CRON_PARTS, 14), fc.string({ maxLength: 60 })), (text) => {
        let valid = true;
        throwsOnly(() => {
          try {
            expandCron(text);
          } catch (error) {
            valid = false;
            throw error;
          }
        }, CronSyntaxError);
        expect(isValidCron(text)).toBe(valid);
      }),
      RUNS,
    );
  });

  it("cron ticks: isCronTickUtc answers true, false or null for any text and instant, never throws", () => {
    const instant = fc.integer({ min: -8_640_000_000_000, max: 8_640_000_000_000 });
    fc.assert(
      fc.property(tokens(CRON_PARTS, 12), instant, (text, atMs) => {
        expect([true, false, null]).toContain(isCronTickUtc(text, atMs));
      }),
      { seed: 12, numRuns: 200 },
    );
  });

  it("periods: any text is a number of seconds or an InvalidPeriodError", () => {
    fc.assert(
      fc.property(fc.oneof(tokens(PERIOD_PARTS), fc.string({ maxLength: 30 })), (text) => {
        throwsOnly(() => {
          const seconds = parsePeriodSeconds(text);
          expect(Number.isFinite(seconds)).toBe(true);
        }, InvalidPeriodError);
      }),
      RUNS,
    );
  });

  it("timestamps: any text is finite epoch milliseconds or an InvalidTimestampError; tryParse never throws", () => {
    fc.assert(
      fc.property(fc.oneof(tokens(STAMP_PARTS, 10), fc.string({ maxLength: 30 })), (text) => {
        throwsOnly(() => {
          const ms = parseOnceTimestamp(text);
          expect(Number.isFinite(ms)).toBe(true);
        }, InvalidTimestampError);
        const tried = tryParseTimestamp(text);
        expect(tried === null || Number.isFinite(tried)).toBe(true);
      }),
      RUNS,
    );
  });

  it("triggers: any text parses to a trigger of its own type or raises InvalidTriggerError naming it", () => {
    const text = fc.oneof(
      tokens([...TRIGGER_TYPES, ...CRON_PARTS.slice(0, 8), ...PERIOD_PARTS.slice(0, 8), ...STAMP_PARTS.slice(0, 8)], 10),
      fc.tuple(fc.constantFrom(...TRIGGER_TYPES.slice(0, 10)), fc.string({ maxLength: 30 })).map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(text, (raw) => {
        try {
          const parsed = parseTrigger(raw);
          expect(parsed.raw.startsWith(`${parsed.type}:`)).toBe(true);
        } catch (error) {
          if (!(error instanceof InvalidTriggerError)) throw error;
          expect(error.message).toMatch(/^Invalid trigger '/);
        }
        const tried = tryParseTrigger(raw);
        expect(tried === null || typeof tried.type === "string").toBe(true);
      }),
      RUNS,
    );
  });

  it("selectors: matching any selector against any triggers returns a subset of those triggers", () => {
    const selector = tokens(TRIGGER_TYPES, 6);
    fc.assert(
      fc.property(fc.constantFrom("batch", "interactive", "stream"), fc.array(tokens(TRIGGER_TYPES, 4), { maxLength: 4 }), fc.array(selector, { maxLength: 4 }), (jobType, triggers, selectors) => {
        expect(typeof isSelector(selectors[0] ?? "")).toBe("boolean");
        const matched = matchTriggersWithSelectors(jobType, triggers, selectors);
        for (const m of matched) expect(triggers).toContain(m);
      }),
      RUNS,
    );
  });

  it("selectors: selecting jobs with any selector list returns jobs or raises a job-ref error", () => {
    const jobs = [
      { job_ref: "jobs.a.load", entry_point: { job_type: "batch" }, triggers: ["schedule:0 * * * *", "every:5m", "job.success:jobs.a.other"] },
      { job_ref: "jobs.a.other", entry_point: { job_type: "batch" }, triggers: ["manual:jobs.a.other"] },
      { job_ref: "jobs.b.load", entry_point: { job_type: "interactive" }, triggers: ["http:"] },
    ];
    fc.assert(
      fc.property(fc.array(fc.oneof(tokens(TRIGGER_TYPES, 5), fc.constantFrom("load", "other", "a.load", "jobs.b.load", "", " ")), { maxLength: 4 }), (selectors) => {
        throwsOnly(
          () => {
            const selection = selectJobs(jobs, selectors);
            for (const s of [...selection.selected, ...selection.followUps]) expect(jobs).toContain(s.job);
          },
          InvalidJobRefError,
          JobRefNotFoundError,
          AmbiguousJobRefError,
          InvalidTriggerError,
        );
      }),
      RUNS,
    );
  });
});
