import { describe, expect, it } from "vitest";
import type { ParsedTrigger } from "../../../schemas/index.js";
import { computeRunWindow } from "./declared-interval.js";
import { nextFireTime } from "./fire-times.js";
import { at, every, hm, jobSuccess, schedule } from "./test-helpers.js";

/** A job as the engine will drive it: watermark = interval end after success (scheduling.md §6). */
function job(defaultTrigger: ParsedTrigger, tz = "UTC") {
  let watermarkMs: number | null = null;
  return {
    run(nowMs: number, succeeds = true): { window: string; refresh: boolean } {
      const refresh = watermarkMs === null;
      const w = computeRunWindow({ intervalTrigger: defaultTrigger, nowMs, watermarkMs, tz, refresh });
      if (succeeds) watermarkMs = watermarkMs === null ? w.endMs : Math.max(watermarkMs, w.endMs);
      return { window: `[${hm(w.startMs)}, ${hm(w.endMs)})`, refresh };
    },
    get watermark(): string | null {
      return watermarkMs === null ? null : hm(watermarkMs);
    },
  };
}

describe("worked examples (scheduling.md §12)", () => {
  const cron = schedule("0 3 * * *");

  it("rows 1–2: no run on deploy; the first fire is a refresh run over the elapsed day", () => {
    const j = job(cron);
    const first = nextFireTime(cron, at("2026-05-25T12:00Z"), "UTC", null);
    expect(hm(first)).toBe("2026-05-26T03:00Z");
    expect(j.run(first)).toEqual({ window: "[2026-05-25T03:00Z, 2026-05-26T03:00Z)", refresh: true });
    expect(j.watermark).toBe("2026-05-26T03:00Z");
    const second = nextFireTime(cron, first, "UTC", null);
    expect(j.run(second)).toEqual({ window: "[2026-05-26T03:00Z, 2026-05-27T03:00Z)", refresh: false });
  });

  it("row 3: a manual run with no missed tick gets an empty window and keeps the watermark", () => {
    const j = job(cron);
    j.run(at("2026-05-26T03:00Z"));
    expect(j.run(at("2026-05-26T12:00Z")).window).toBe("[2026-05-26T03:00Z, 2026-05-26T03:00Z)");
    expect(j.watermark).toBe("2026-05-26T03:00Z");
  });

  it("row 4: a manual run after a failed tick backfills the gap", () => {
    const j = job(cron);
    j.run(at("2026-05-26T03:00Z"));
    j.run(at("2026-05-27T03:00Z"), false);
    expect(j.run(at("2026-05-27T12:00Z")).window).toBe("[2026-05-26T03:00Z, 2026-05-27T03:00Z)");
    expect(j.run(nextFireTime(cron, at("2026-05-27T12:00Z"), "UTC", null)).window).toBe("[2026-05-27T03:00Z, 2026-05-28T03:00Z)");
  });

  it("row 5: after downtime, one run with one extended window at the next tick", () => {
    const j = job(cron);
    j.run(at("2026-05-26T03:00Z"));
    const restartFire = nextFireTime(cron, at("2026-05-29T10:00Z"), "UTC", null);
    expect(hm(restartFire)).toBe("2026-05-30T03:00Z");
    expect(j.run(restartFire).window).toBe("[2026-05-26T03:00Z, 2026-05-30T03:00Z)");
    expect(j.watermark).toBe("2026-05-30T03:00Z");
  });

  it("rows 6–7: every:1h keeps its cadence; manual runs split windows without shifting it", () => {
    const hourly = every(3600, "every:1h");
    const j = job(hourly);
    const first = nextFireTime(hourly, at("2026-05-25T14:20Z"), "UTC", null);
    expect(j.run(first)).toEqual({ window: "[2026-05-25T14:20Z, 2026-05-25T15:20Z)", refresh: true });
    const second = nextFireTime(hourly, first, "UTC", first);
    expect(j.run(second).window).toBe("[2026-05-25T15:20Z, 2026-05-25T16:20Z)");
    expect(j.run(at("2026-05-25T16:50Z")).window).toBe("[2026-05-25T16:20Z, 2026-05-25T16:50Z)");
    const third = nextFireTime(hourly, at("2026-05-25T16:50Z"), "UTC", second);
    expect(hm(third)).toBe("2026-05-25T17:20Z");
    expect(j.run(third).window).toBe("[2026-05-25T16:50Z, 2026-05-25T17:20Z)");
    expect(j.watermark).toBe("2026-05-25T17:20Z");
  });

  it("rows 8–9: */3 in Berlin across both 2026 transitions", () => {
    const berlin = schedule("*/3 * * * *");
    for (const [day, expected] of [
      ["2026-03-29", ["[00:54, 00:57)", "[00:57, 01:00)", "[01:00, 01:03)"]],
      ["2026-10-25", ["[00:54, 00:57)", "[00:57, 02:00)", "[02:00, 02:03)"]],
    ] as const) {
      const j = job(berlin, "Europe/Berlin");
      let now = nextFireTime(berlin, at(`${day}T00:53Z`), "Europe/Berlin", null);
      j.run(now);
      const windows: string[] = [];
      for (let i = 0; i < 3; i++) {
        now = nextFireTime(berlin, now, "Europe/Berlin", null);
        windows.push(j.run(now).window.replaceAll(`${day}T`, "").replaceAll("Z", ""));
      }
      expect(windows).toEqual(expected);
    }
  });

  it("row 14: a follow-up-only job gets the point of its dispatch", () => {
    const j = job(jobSuccess("jobs.m.ingest"));
    expect(j.run(at("2026-04-14T09:41:12Z")).window).toBe("[2026-04-14T09:41Z, 2026-04-14T09:41Z)");
    expect(j.watermark).toBe("2026-04-14T09:41Z");
  });
});
