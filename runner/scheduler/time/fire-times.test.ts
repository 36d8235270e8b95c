import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createTimeContext } from "./context.js";
import { latestElapsedTick, nextFireTime, tickBefore } from "./fire-times.js";
import { computeRunInterval } from "./run-interval.js";
import { at, every, hm, once, schedule } from "./test-helpers.js";

const BERLIN = "Europe/Berlin";

/** Fires of `cron` from `fromIso`, each next fire computed from the previous fire (the daemon's loop). */
function fires(cron: string, tz: string, fromIso: string, count: number): string[] {
  const out: string[] = [];
  let now = at(fromIso);
  for (let i = 0; i < count; i++) {
    now = nextFireTime(schedule(cron), now, tz, null);
    out.push(hm(now));
  }
  return out;
}

describe("nextFireTime — golden values (scheduling.md §12)", () => {
  it("daily cron fires at the next midnight, also from exactly midnight", () => {
    expect(nextFireTime(schedule("0 0 * * *"), at("2024-06-15T12:00Z"), "UTC", null)).toBe(at("2024-06-16T00:00Z"));
    expect(nextFireTime(schedule("0 0 * * *"), at("2024-06-15T00:00Z"), "UTC", null)).toBe(at("2024-06-16T00:00Z"));
  });

  it("evaluates the cron in the job's zone (US/Eastern 08:00 EDT = 12:00Z)", () => {
    expect(nextFireTime(schedule("0 8 * * *"), at("2024-06-15T11:00Z"), "US/Eastern", null)).toBe(at("2024-06-15T12:00Z"));
    expect(nextFireTime(schedule("0 8 * * *"), at("2024-12-15T11:00Z"), "US/Eastern", null)).toBe(at("2024-12-15T13:00Z"));
  });

  it("every: keeps the cadence from the previous fire, restarts from now when overdue", () => {
    expect(nextFireTime(every(3600), at("2024-06-15T10:30Z"), "UTC", at("2024-06-15T10:00Z"))).toBe(at("2024-06-15T11:00Z"));
    expect(nextFireTime(every(3600), at("2024-06-15T12:00Z"), "UTC", at("2024-06-15T08:00Z"))).toBe(at("2024-06-15T13:00Z"));
  });

  it("every: the first fire waits one full period (no run on deploy)", () => {
    expect(nextFireTime(every(3600), at("2026-05-25T14:20Z"), "UTC", null)).toBe(at("2026-05-25T15:20Z"));
  });

  it("every: a due fire exactly at now is kept", () => {
    expect(nextFireTime(every(60), at("2024-06-15T10:01Z"), "UTC", at("2024-06-15T10:00Z"))).toBe(at("2024-06-15T10:01Z"));
  });

  it("once: a past instant fires now, a future one at its time", () => {
    expect(nextFireTime(once("2024-01-01T00:00:00Z"), at("2024-06-15T00:00Z"), "UTC", null)).toBe(at("2024-06-15T00:00Z"));
    expect(nextFireTime(once("2026-12-31T23:59:59Z"), at("2026-06-15T00:00Z"), "UTC", null)).toBe(at("2026-12-31T23:59:59Z"));
  });

  it("no run on deploy: a 03:00 job deployed at noon first fires the next morning", () => {
    expect(nextFireTime(schedule("0 3 * * *"), at("2026-05-25T12:00Z"), "UTC", null)).toBe(at("2026-05-26T03:00Z"));
  });

  it("a restart after downtime waits for the next tick (no catch-up fire)", () => {
    expect(nextFireTime(schedule("0 3 * * *"), at("2026-05-29T10:00Z"), "UTC", null)).toBe(at("2026-05-30T03:00Z"));
  });
});

describe("Europe/Berlin DST 2026", () => {
  it("spring forward, */3: 02:00 CET does not exist and maps to 01:00Z; no gap, no duplicate", () => {
    expect(fires("*/3 * * * *", BERLIN, "2026-03-29T00:50Z", 6)).toEqual([
      "2026-03-29T00:51Z",
      "2026-03-29T00:54Z",
      "2026-03-29T00:57Z",
      "2026-03-29T01:00Z",
      "2026-03-29T01:03Z",
      "2026-03-29T01:06Z",
    ]);
  });

  it("spring forward, daily 02:30 fires at 01:30Z (03:30 CEST) that day", () => {
    expect(fires("30 2 * * *", BERLIN, "2026-03-27T12:00Z", 4)).toEqual([
      "2026-03-28T01:30Z",
      "2026-03-29T01:30Z",
      "2026-03-30T00:30Z",
      "2026-03-31T00:30Z",
    ]);
  });

  it("fall back, */3: the repeated hour 01:00Z–01:59Z gets no fires", () => {
    expect(fires("*/3 * * * *", BERLIN, "2026-10-25T00:52Z", 5)).toEqual([
      "2026-10-25T00:54Z",
      "2026-10-25T00:57Z",
      "2026-10-25T02:00Z",
      "2026-10-25T02:03Z",
      "2026-10-25T02:06Z",
    ]);
  });

  it("fall back, daily 02:30 fires at 00:30Z (first 02:30, CEST) and then 01:30Z", () => {
    expect(fires("30 2 * * *", BERLIN, "2026-10-24T12:00Z", 2)).toEqual(["2026-10-25T00:30Z", "2026-10-26T01:30Z"]);
  });

  it("fall back: computed from inside the repeated hour, the next fire is after it (never in the past)", () => {
    expect(hm(nextFireTime(schedule("*/3 * * * *"), at("2026-10-25T01:31:30Z"), BERLIN, null))).toBe("2026-10-25T02:00Z");
    expect(hm(nextFireTime(schedule("*/3 * * * *"), at("2026-10-25T01:59:59.999Z"), BERLIN, null))).toBe("2026-10-25T02:00Z");
    expect(hm(nextFireTime(schedule("0 * * * *"), at("2026-10-25T01:00Z"), BERLIN, null))).toBe("2026-10-25T02:00Z");
    expect(hm(nextFireTime(schedule("5 3 * * *"), at("2026-10-25T01:20Z"), BERLIN, null))).toBe("2026-10-25T02:05Z");
  });

  it("windows of the fire sequence with watermark = previous end: 63-minute window over the fall back", () => {
    const cron = schedule("*/3 * * * *");
    let watermark = at("2026-10-25T00:51Z");
    const windows: string[] = [];
    for (const fire of ["2026-10-25T00:54Z", "2026-10-25T00:57Z", "2026-10-25T02:00Z", "2026-10-25T02:03Z"]) {
      const w = computeRunInterval(cron, at(fire), watermark, BERLIN);
      windows.push(`[${hm(w.startMs)}, ${hm(w.endMs)})`);
      watermark = w.endMs;
    }
    expect(windows).toEqual([
      "[2026-10-25T00:51Z, 2026-10-25T00:54Z)",
      "[2026-10-25T00:54Z, 2026-10-25T00:57Z)",
      "[2026-10-25T00:57Z, 2026-10-25T02:00Z)",
      "[2026-10-25T02:00Z, 2026-10-25T02:03Z)",
    ]);
  });

  it("windows over the spring forward are continuous", () => {
    const cron = schedule("*/3 * * * *");
    let watermark = at("2026-03-29T00:54Z");
    const windows: string[] = [];
    for (const fire of ["2026-03-29T00:57Z", "2026-03-29T01:00Z", "2026-03-29T01:03Z"]) {
      const w = computeRunInterval(cron, at(fire), watermark, BERLIN);
      windows.push(`[${hm(w.startMs)}, ${hm(w.endMs)})`);
      watermark = w.endMs;
    }
    expect(windows).toEqual([
      "[2026-03-29T00:54Z, 2026-03-29T00:57Z)",
      "[2026-03-29T00:57Z, 2026-03-29T01:00Z)",
      "[2026-03-29T01:00Z, 2026-03-29T01:03Z)",
    ]);
  });

  it("daily 02:30 windows across both transitions (23 h and 25 h days)", () => {
    const cron = schedule("30 2 * * *");
    const spring = computeRunInterval(cron, at("2026-03-30T00:30Z"), at("2026-03-29T01:30Z"), BERLIN);
    expect(spring.endMs - spring.startMs).toBe(23 * 3_600_000);
    const fall = computeRunInterval(cron, at("2026-10-26T01:30Z"), at("2026-10-25T00:30Z"), BERLIN);
    expect(fall.endMs - fall.startMs).toBe(25 * 3_600_000);
  });
});

describe("cron forms", () => {
  it("6-field crons have seconds as the LAST field (croniter)", () => {
    expect(nextFireTime(schedule("*/5 * * * * 30"), at("2026-01-01T10:00:00Z"), "UTC", null)).toBe(at("2026-01-01T10:00:30Z"));
    expect(nextFireTime(schedule("*/5 * * * * 30"), at("2026-01-01T10:00:30Z"), "UTC", null)).toBe(at("2026-01-01T10:05:30Z"));
    expect(latestElapsedTick("* * * * * */20", at("2026-01-01T10:00:59.999Z"), "UTC")).toBe(at("2026-01-01T10:00:40Z"));
  });

  it("@daily is midnight in the job's zone", () => {
    expect(nextFireTime(schedule("@daily"), at("2026-04-14T10:00Z"), BERLIN, null)).toBe(at("2026-04-14T22:00Z"));
    expect(latestElapsedTick("@daily", at("2026-04-14T10:00Z"), BERLIN)).toBe(at("2026-04-13T22:00Z"));
  });

  it("L and # forms fire on croniter's days, in the job's zone", () => {
    expect(nextFireTime(schedule("0 0 L * *"), at("2026-02-10T00:00Z"), "UTC", null)).toBe(at("2026-02-28T00:00Z"));
    expect(nextFireTime(schedule("0 12 * * 5#3"), at("2026-04-01T00:00Z"), "UTC", null)).toBe(at("2026-04-17T12:00Z"));
    expect(latestElapsedTick("0 0 L * *", at("2026-03-15T00:00Z"), "Europe/Berlin")).toBe(at("2026-02-27T23:00Z"));
  });

  it("W, several #, and a year field are scheduled (Berlin wall time)", () => {
    // 15 March 2026 is a Sunday: the nearest weekday is Monday the 16th, 09:00 CET = 08:00Z
    expect(nextFireTime(schedule("0 9 15W * *"), at("2026-03-01T00:00Z"), BERLIN, null)).toBe(at("2026-03-16T08:00Z"));
    expect(nextFireTime(schedule("0 0 * * 1#1,3#2"), at("2026-02-03T00:00Z"), BERLIN, null)).toBe(at("2026-02-10T23:00Z"));
    expect(nextFireTime(schedule("0 0 1 1 * 0 2030"), at("2026-06-01T00:00Z"), BERLIN, null)).toBe(at("2029-12-31T23:00Z"));
    expect(tickBefore("0 0 * * l5", at("2026-03-26T23:00Z"), BERLIN)).toBe(at("2026-02-26T23:00Z"));
  });

  it("a cron croniter finds no tick for fails with cron_no_tick, not a wrong fire", () => {
    expect(() => nextFireTime(schedule("0 0 1 1 * 0 2030"), at("2030-06-01T00:00Z"), "UTC", null)).toThrow(/has no later tick/);
    expect(() => nextFireTime(schedule("0 0 30 2 mon"), at("2026-06-01T00:00Z"), "UTC", null)).toThrow(/has no later tick/);
  });

  it("rejects a cron that cannot be scheduled, naming it", () => {
    expect(() => nextFireTime(schedule("not a cron"), 0, "UTC", null)).toThrow(/not a cron/);
  });

  it("rejects an unknown time zone with a hint", () => {
    expect(() => nextFireTime(schedule("0 0 * * *"), 0, "Mars/Olympus", null)).toThrow(/unknown time zone 'Mars\/Olympus'/);
  });
});

describe("latestElapsedTick and tickBefore", () => {
  it("cron_floor('*/3', 11:40) = 11:39; a now exactly on a tick counts as elapsed", () => {
    expect(latestElapsedTick("*/3 * * * *", at("2026-04-14T11:40Z"), "UTC")).toBe(at("2026-04-14T11:39Z"));
    expect(latestElapsedTick("*/3 * * * *", at("2026-04-14T11:39Z"), "UTC")).toBe(at("2026-04-14T11:39Z"));
    expect(latestElapsedTick("*/3 * * * *", at("2026-04-14T11:38:59.999Z"), "UTC")).toBe(at("2026-04-14T11:36Z"));
  });

  it("tickBefore steps back one tick in the job's zone", () => {
    expect(tickBefore("0 0 * * *", at("2026-04-14T22:00Z"), BERLIN)).toBe(at("2026-04-13T22:00Z"));
    expect(tickBefore("0 0 * * *", at("2026-03-29T22:00Z"), BERLIN)).toBe(at("2026-03-28T23:00Z"));
  });

  it("catching up a year of */3 ticks is one jump, not one step per tick", () => {
    const ctx = createTimeContext();
    const started = performance.now();
    const w = computeRunInterval(schedule("*/3 * * * *"), at("2027-04-14T10:07:30Z"), at("2026-04-14T10:06Z"), BERLIN, ctx);
    expect(w).toEqual({ startMs: at("2026-04-14T10:06Z"), endMs: at("2027-04-14T10:06Z") });
    // generous bound: 175,000 missed ticks stepped one by one would take seconds
    expect(performance.now() - started).toBeLessThan(500);
  });
});

interface GoldenCase {
  cron: string;
  tz: string;
  nowMs: number;
  nextMs: number;
  startMs: number;
  endMs: number;
}

describe("matches dlt 1.26.0 + croniter 6.2.4 on 660 cases around DST transitions (testdata/dlt-golden.json)", () => {
  const golden = JSON.parse(readFileSync(new URL("./testdata/dlt-golden.json", import.meta.url), "utf8")) as { cases: GoldenCase[] };

  it("computeRunInterval with no watermark equals compute_run_interval", () => {
    const mismatches = golden.cases.filter((c) => {
      const w = computeRunInterval(schedule(c.cron), c.nowMs, null, c.tz);
      return w.startMs !== c.startMs || w.endMs !== c.endMs;
    });
    expect(mismatches).toEqual([]);
  });

  it("nextFireTime equals next_scheduled_run whenever dlt's answer lies in the future", () => {
    const future = golden.cases.filter((c) => c.nextMs > c.nowMs);
    expect(future.length).toBeGreaterThan(600);
    const mismatches = future.filter((c) => nextFireTime(schedule(c.cron), c.nowMs, c.tz, null) !== c.nextMs);
    expect(mismatches).toEqual([]);
  });

  it("inside a repeated hour, where dlt answers a past instant, the fire is the first tick after now", () => {
    for (const c of golden.cases.filter((g) => g.nextMs <= g.nowMs)) {
      const fire = nextFireTime(schedule(c.cron), c.nowMs, c.tz, null);
      expect(fire).toBeGreaterThan(c.nowMs);
      expect(fire).toBeGreaterThan(c.nextMs);
    }
  });
});
