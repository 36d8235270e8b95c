import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { expandCron, isValidCron } from "./cron.js";

interface Golden {
  validity: Array<[string, boolean]>;
}

const golden = JSON.parse(
  readFileSync(new URL("./testdata/croniter-golden.json", import.meta.url), "utf8"),
) as Golden;

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

describe("expandCron", () => {
  it.each([
    ["*/20 * * * *", [[0, 20, 40], ["*"], ["*"], ["*"], ["*"]]],
    ["@daily", [[0], [0], ["*"], ["*"], ["*"]]],
    ["0 0 * * * 30", [[0], [0], ["*"], ["*"], ["*"], [30]]],
    ["0 0 * * fri-mon", [[0], [0], ["*"], ["*"], [0, 1, 5, 6]]],
    ["0 0 1,l * *", [[0], [0], [1, "l"], ["*"], ["*"]]],
    ["0 0 1 1 * 0 2030", [[0], [0], [1], [1], ["*"], [0], [2030]]],
  ])("%j expands like croniter.expand", (expression, fields) => {
    expect(expandCron(expression).fields).toEqual(fields);
  });

  it("keeps nth weekdays and nearest weekdays apart from the plain values", () => {
    const nth = expandCron("0 0 * * 1#1,3#2,l5");
    expect(nth.fields[4]).toEqual([1, 3, 5]);
    expect(nth.nthWeekday).toEqual(new Map<number, Set<number | "l">>([[5, new Set(["l"])], [3, new Set([2])], [1, new Set([1])]]));
    expect(expandCron("0 0 15w * *").nearestWeekday).toEqual(new Set([15]));
  });

  it("draws R like croniter's H hashed on the expression text: stable, and croniter's values", () => {
    // croniter("h * * * *", hash_id="R * * * *").expanded[0] == [5], and so on
    expect(expandCron("R * * * *").fields[0]).toEqual([5]);
    expect(expandCron("0 r * * *").fields[1]).toEqual([19]);
    expect(expandCron("0 0 r(1-5)/2 * *").fields[2]).toEqual([2, 4]);
    expect(expandCron("R * * * *")).toEqual(expandCron("R * * * *"));
  });
});
