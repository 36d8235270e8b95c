import { readFileSync } from "node:fs";
import { CronExpressionParser } from "cron-parser";
import { describe, expect, it } from "vitest";
import { CronSyntaxError, isValidCron, toCronParserExpression } from "./cron.js";

interface Golden {
  starts: string[];
  validity: Array<[string, boolean]>;
  ticks: Array<[string, string[][]]>;
}

const golden = JSON.parse(
  readFileSync(new URL("./testdata/croniter-golden.json", import.meta.url), "utf8"),
) as Golden;

function nextTicks(expression: string, startIso: string, count: number): string[] {
  const iterator = CronExpressionParser.parse(toCronParserExpression(expression), {
    currentDate: new Date(`${startIso}Z`),
    tz: "UTC",
  });
  return iterator.take(count).map((date) => (date.toISOString() ?? "").replace(".000Z", ""));
}

describe("isValidCron", () => {
  it.each([
    ["*/5 * * * *", true],
    ["0 8 * * mon-fri", true],
    ["0 0 1 jan *", true],
    ["* * * * * 30", true],
    ["0 0 1 1 * 0 2030", true],
    ["@yearly", true],
    ["@annually", true],
    ["@monthly", true],
    ["@weekly", true],
    ["@daily", true],
    ["@midnight", true],
    ["@hourly", true],
    ["0 0 L * *", true],
    ["0 0 * * 5#3", true],
    ["0 0 15W * *", true],
    ["@reboot", false],
    ["H * * * *", false],
    ["* * * *", false],
    ["5m", false],
    ["60 * * * *", false],
    ["0 0 * * 5#6", false],
    ["0 0 * * 1,2#3", false],
  ])("%j → %s", (expression, valid) => {
    expect(isValidCron(expression)).toBe(valid);
  });

  it(`agrees with croniter.is_valid on ${golden.validity.length} generated expressions`, () => {
    const mismatches = golden.validity.filter(([expression, valid]) => isValidCron(expression) !== valid);
    expect(mismatches).toEqual([]);
  });
});

describe("toCronParserExpression", () => {
  it.each([
    ["*/5 * * * *", "0,5,10,15,20,25,30,35,40,45,50,55 * * * *"],
    ["@daily", "0 0 * * *"],
    ["0 0 * * * 30", "30 0 0 * * *"],
    ["0 0 1 1 * 0 *", "0 0 0 1 1 *"],
    ["0 0 * * fri-mon", "0 0 * * 0,1,5,6"],
    ["0 12 * * l5", "0 12 * * 5L"],
    ["0 0 l * *", "0 0 L * *"],
  ])("%j → %j", (expression, expected) => {
    expect(toCronParserExpression(expression)).toBe(expected);
  });

  it.each(["0 0 1 1 * 0 2030", "0 0 15w * *", "R * * * *", "0 0 * * 1#1,1#2"])(
    "rejects %j, which cron-parser cannot express",
    (expression) => {
      expect(() => toCronParserExpression(expression)).toThrow(CronSyntaxError);
    },
  );

  it(`gives croniter's next ticks for ${golden.ticks.length} expressions`, () => {
    const mismatches: string[] = [];
    for (const [expression, perStart] of golden.ticks) {
      golden.starts.forEach((start, index) => {
        const expected = perStart[index] ?? [];
        let actual: string[];
        try {
          actual = nextTicks(expression, start, expected.length);
        } catch (error) {
          if (error instanceof CronSyntaxError) return;
          actual = [String(error)];
        }
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          mismatches.push(`${expression} from ${start}: ${actual.join(",")} != ${expected.join(",")}`);
        }
      });
    }
    expect(mismatches).toEqual([]);
  });
});
