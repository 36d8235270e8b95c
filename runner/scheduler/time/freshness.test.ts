import { describe, expect, it } from "vitest";
import { checkUpstreamFresh, type UpstreamState } from "./freshness.js";
import { at, every, jobSuccess, schedule } from "./test-helpers.js";

const usgsDaily: UpstreamState = {
  jobRef: "jobs.usgs.usgs_daily",
  jobType: "batch",
  defaultTrigger: schedule("*/3 * * * *"),
  tz: "Europe/Berlin",
  watermarkMs: at("2026-04-14T10:06Z"),
};

describe("checkUpstreamFresh (scheduling.md §9)", () => {
  it("schedule upstream: fresh while its latest elapsed tick is processed", () => {
    expect(checkUpstreamFresh(usgsDaily, at("2026-04-14T10:08Z"))).toEqual({ fresh: true });
    expect(checkUpstreamFresh(usgsDaily, at("2026-04-14T10:08:59.999Z"))).toEqual({ fresh: true });
  });

  it("schedule upstream: stale once the next tick elapsed, naming the tick", () => {
    expect(checkUpstreamFresh(usgsDaily, at("2026-04-14T10:09:10Z"))).toEqual({
      fresh: false,
      reason: "upstream jobs.usgs.usgs_daily missing run for 2026-04-14 10:09:00+00:00",
    });
  });

  it("row 15: a */5 downstream at 10:15 with the upstream at 10:12 is not started", () => {
    const result = checkUpstreamFresh({ ...usgsDaily, watermarkMs: at("2026-04-14T10:12Z") }, at("2026-04-14T10:15:00Z"));
    expect(result).toEqual({ fresh: false, reason: "upstream jobs.usgs.usgs_daily missing run for 2026-04-14 10:15:00+00:00" });
  });

  it("evaluates the tick in the upstream's zone", () => {
    const daily: UpstreamState = { ...usgsDaily, defaultTrigger: schedule("0 0 * * *"), watermarkMs: at("2026-04-13T22:00Z") };
    expect(checkUpstreamFresh(daily, at("2026-04-14T21:59Z"))).toEqual({ fresh: true });
    expect(checkUpstreamFresh(daily, at("2026-04-14T22:00Z"))).toMatchObject({ fresh: false });
  });

  it("every upstream: fresh until exactly one period elapsed", () => {
    const up: UpstreamState = { jobRef: "jobs.a.up", jobType: "batch", defaultTrigger: every(300, "every:5m"), tz: "UTC", watermarkMs: at("2026-04-14T10:05Z") };
    expect(checkUpstreamFresh(up, at("2026-04-14T10:09:59.999Z"))).toEqual({ fresh: true });
    expect(checkUpstreamFresh(up, at("2026-04-14T10:10:00Z"))).toEqual({
      fresh: false,
      reason: "upstream jobs.a.up has a missing run (last 300s ago, period 300s)",
    });
  });

  it("formats the elapsed seconds like Python (round half to even)", () => {
    const up: UpstreamState = { jobRef: "jobs.a.up", jobType: "batch", defaultTrigger: every(60), tz: "UTC", watermarkMs: 0 };
    expect(checkUpstreamFresh(up, 62_500)).toMatchObject({ reason: expect.stringContaining("last 62s ago, period 60s") });
    expect(checkUpstreamFresh(up, 63_500)).toMatchObject({ reason: expect.stringContaining("last 64s ago") });
  });

  it("interactive upstreams are never fresh", () => {
    expect(checkUpstreamFresh({ ...usgsDaily, jobType: "interactive" }, at("2026-04-14T10:08Z"))).toEqual({
      fresh: false,
      reason: "upstream jobs.usgs.usgs_daily is an interactive job (cannot be fresh)",
    });
  });

  it("an upstream with a pending refresh (no watermark) is not fresh", () => {
    expect(checkUpstreamFresh({ ...usgsDaily, watermarkMs: null }, at("2026-04-14T10:08Z"))).toEqual({
      fresh: false,
      reason: "upstream jobs.usgs.usgs_daily didn't process any intervals yet (refresh pending)",
    });
  });

  it("event, manual or no default trigger: any completed run is enough", () => {
    const base = { jobRef: "jobs.a.up", jobType: "batch", tz: "UTC", watermarkMs: at("2020-01-01T00:00Z") };
    expect(checkUpstreamFresh({ ...base, defaultTrigger: jobSuccess("jobs.a.x") }, at("2026-04-14T10:08Z"))).toEqual({ fresh: true });
    expect(checkUpstreamFresh({ ...base, defaultTrigger: null }, at("2026-04-14T10:08Z"))).toEqual({ fresh: true });
  });
});
