import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SluiceError } from "../../../core/index.js";
import { isCronTickUtc, isValidCron } from "../../../schemas/index.js";
import { createCronTicks, type CronTicks } from "./cron-ticks.js";

interface StartTicks {
  next: string[];
  prev: string[];
  floor: string[];
}

interface Golden {
  starts: string[];
  ticks: Array<[string, StartTicks[]]>;
}

const golden = JSON.parse(
  readFileSync(new URL("../../../schemas/testdata/croniter-golden.json", import.meta.url), "utf8"),
) as Golden;

const iso = (wallMs: number): string => new Date(wallMs).toISOString().slice(0, 19);
const wall = (text: string): number => Date.parse(`${text}Z`);

/** `count` results of `step`, each from the previous one; "error" where no tick exists (cron_no_tick). */
function sequence(from: number, count: number, step: (wallMs: number) => number): string[] {
  const out: string[] = [];
  let at = from;
  for (let i = 0; i < count; i++) {
    try {
      at = step(at);
    } catch (error) {
      if (error instanceof SluiceError && error.code === "cron_no_tick") return [...out, "error"];
      throw error;
    }
    out.push(iso(at));
  }
  return out;
}

function compare(crons: CronTicks, cron: string, starts: string[], expected: StartTicks[]): string[] {
  const mismatches: string[] = [];
  starts.forEach((start, index) => {
    const want = expected[index];
    if (want === undefined) throw new Error(`golden data for ${cron} lacks start ${start}`);
    const count = (list: string[]): number => list.filter((t) => t !== "error").length + (list.includes("error") ? 1 : 0);
    const got: StartTicks = {
      next: sequence(wall(start), count(want.next), (w) => crons.next(cron, w)),
      prev: sequence(wall(start), count(want.prev), (w) => crons.before(cron, w)),
      floor: sequence(wall(start), 1, (w) => crons.floor(cron, w)),
    };
    for (const kind of ["next", "prev", "floor"] as const) {
      if (JSON.stringify(got[kind]) !== JSON.stringify(want[kind])) {
        mismatches.push(`${JSON.stringify(cron)} ${kind} from ${start}: ${got[kind].join(",")} != ${want[kind].join(",")}`);
      }
    }
  });
  return mismatches;
}

describe(`scheduler ticks equal croniter 6.2.4's for all ${golden.ticks.length} valid expressions of schemas/testdata/croniter-golden.json`, () => {
  it("next (get_next chain), before (get_prev chain) and floor (dlt cron_floor) from every start", () => {
    const crons = createCronTicks();
    const mismatches: string[] = [];
    let compared = 0;
    for (const [cron, perStart] of golden.ticks) {
      mismatches.push(...compare(crons, cron, golden.starts, perStart));
      compared++;
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBe(golden.ticks.length);
    expect(compared).toBeGreaterThan(400);
  });

  it("every ticked expression passes validation, so none can be deployed and then fail to compile", () => {
    expect(golden.ticks.filter(([cron]) => !isValidCron(cron)).map(([cron]) => cron)).toEqual([]);
  });

  it("covers W, several #, L weekdays, year fields, R and crons croniter cannot tick", () => {
    const crons = golden.ticks.map(([cron]) => cron.toLowerCase());
    expect(crons.filter((c) => /\d+w|w\d+/.test(c)).length).toBeGreaterThan(10);
    expect(crons.filter((c) => (c.match(/#/g) ?? []).length > 1).length).toBeGreaterThan(10);
    expect(crons.filter((c) => /(^|[ ,])l\d/.test(c)).length).toBeGreaterThan(10);
    expect(crons.filter((c) => c.trim().split(/\s+/).length === 7).length).toBeGreaterThan(40);
    expect(crons.filter((c) => /(^|\s)r/.test(c)).length).toBeGreaterThan(10);
    const erroring = golden.ticks.filter(([, per]) => per.some((p) => p.next.includes("error")));
    expect(erroring.length).toBeGreaterThan(10);
  });

  it("isCronTickUtc (dlt's interval-start check) agrees with croniter's floor", () => {
    let checked = 0;
    for (const [cron, perStart] of golden.ticks) {
      const floor = perStart[0]?.floor[0];
      if (floor === undefined) continue;
      expect([cron, isCronTickUtc(cron, wall(golden.starts[0] ?? ""))]).toEqual([cron, floor === "error" ? null : floor === golden.starts[0]]);
      if (floor !== "error") expect([cron, isCronTickUtc(cron, wall(floor))]).toEqual([cron, true]);
      checked++;
    }
    expect(checked).toBe(golden.ticks.length);
  });
});
