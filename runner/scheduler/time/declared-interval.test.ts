import { describe, expect, it } from "vitest";
import { computeRunWindow, resolveIntervalSpec } from "./declared-interval.js";
import { at, every, hm, manual, schedule } from "./test-helpers.js";

const BERLIN = "Europe/Berlin";

describe("resolveIntervalSpec (scheduling.md §5)", () => {
  it("snaps both ends back to cron ticks in the job's zone (golden)", () => {
    const r = resolveIntervalSpec({ start: "2024-01-01T00:00:00Z", end: "2024-01-05T00:00:00Z" }, "0 8 * * *", BERLIN, 0);
    expect([hm(r.startMs), hm(r.endMs)]).toEqual(["2023-12-31T07:00Z", "2024-01-04T07:00Z"]);
  });

  it("reads a naive start as wall time in the zone (golden)", () => {
    const r = resolveIntervalSpec({ start: "2026-04-01T00:00:00" }, "0 0 * * *", BERLIN, at("2026-04-14T10:07:30Z"));
    expect(hm(r.startMs)).toBe("2026-03-31T22:00Z");
    expect(hm(r.endMs)).toBe("2026-04-13T22:00Z"); // end defaults to now, snapped back
  });

  it("accepts offsets, date-only values and a space separator", () => {
    expect(hm(resolveIntervalSpec({ start: "2026-04-01T02:00:00+02:00" }, "0 0 * * *", BERLIN, 0).startMs)).toBe("2026-03-31T22:00Z");
    expect(hm(resolveIntervalSpec({ start: "2026-04-01" }, "0 0 * * *", BERLIN, 0).startMs)).toBe("2026-03-31T22:00Z");
    expect(hm(resolveIntervalSpec({ start: "2026-04-01 00:00:00" }, "0 0 * * *", BERLIN, 0).startMs)).toBe("2026-03-31T22:00Z");
  });

  it("without a cron uses the values as given, naive ones as UTC, end defaulting to now", () => {
    const now = at("2026-04-14T10:07:30Z");
    const r = resolveIntervalSpec({ start: "2026-04-01T00:00:30" }, null, BERLIN, now);
    expect(r).toEqual({ startMs: at("2026-04-01T00:00:30Z"), endMs: now });
  });

  it("rejects an unreadable timestamp naming the field", () => {
    expect(() => resolveIntervalSpec({ start: "yesterday" }, null, "UTC", 0)).toThrow(/interval.start 'yesterday'/);
  });
});

describe("computeRunWindow", () => {
  const usgs = schedule("*/3 * * * *");
  const declaredInterval = { start: "2026-04-01T00:00:00+00:00" };
  const now = at("2026-04-14T10:07:30Z");

  it("row 11: a refresh run starts at interval.start", () => {
    const w = computeRunWindow({ intervalTrigger: usgs, nowMs: now, watermarkMs: null, tz: BERLIN, declaredInterval, refresh: true });
    expect([hm(w.startMs), hm(w.endMs), w.empty]).toEqual(["2026-04-01T00:00Z", "2026-04-14T10:06Z", false]);
  });

  it("row 12: a normal run continues from the watermark", () => {
    const w = computeRunWindow({ intervalTrigger: usgs, nowMs: now, watermarkMs: at("2026-04-14T10:03Z"), tz: BERLIN, declaredInterval, refresh: false });
    expect([hm(w.startMs), hm(w.endMs)]).toEqual(["2026-04-14T10:03Z", "2026-04-14T10:06Z"]);
  });

  it("a refresh of an `always` job (watermark set) still resets to interval.start", () => {
    const w = computeRunWindow({ intervalTrigger: usgs, nowMs: now, watermarkMs: at("2026-04-14T10:03Z"), tz: BERLIN, declaredInterval, refresh: true });
    expect(hm(w.startMs)).toBe("2026-04-01T00:00Z");
  });

  it("row 13: every:5m without interval, watermark cleared", () => {
    const w = computeRunWindow({ intervalTrigger: every(300), nowMs: at("2026-04-14T10:07:30Z"), watermarkMs: null, tz: "UTC", refresh: true });
    expect(w).toEqual({ startMs: at("2026-04-14T10:02:30Z"), endMs: at("2026-04-14T10:07:30Z"), empty: false });
  });

  it("clamps the start to interval.start and the end to interval.end", () => {
    const w = computeRunWindow({
      intervalTrigger: usgs,
      nowMs: now,
      watermarkMs: at("2026-03-01T00:00Z"),
      tz: "UTC",
      declaredInterval: { start: "2026-04-01T00:00:00Z", end: "2026-04-10T00:00:00Z" },
      refresh: false,
    });
    expect([hm(w.startMs), hm(w.endMs)]).toEqual(["2026-04-01T00:00Z", "2026-04-10T00:00Z"]);
    expect(w.skipReason).toBeUndefined();
  });

  it("DECISION: a declared start in the future gives an empty window and a skip reason", () => {
    const w = computeRunWindow({
      intervalTrigger: usgs, nowMs: now, watermarkMs: null, tz: "UTC", declaredInterval: { start: "2026-05-01T00:00:00Z" }, refresh: true,
    });
    expect(w.empty).toBe(true);
    expect(w.startMs).toBe(w.endMs);
    expect(w.endMs).toBeLessThanOrEqual(now);
    expect(w.skipReason).toBe("interval.start 2026-05-01T00:00:00.000Z lies in the future");
  });

  it("DECISION: a declared end that has passed and was processed gives a skip reason", () => {
    const w = computeRunWindow({
      intervalTrigger: usgs,
      nowMs: now,
      watermarkMs: at("2026-04-10T00:00Z"),
      tz: "UTC",
      declaredInterval: { start: "2026-04-01T00:00:00Z", end: "2026-04-10T00:00:00Z" },
      refresh: false,
    });
    expect(w).toMatchObject({ startMs: at("2026-04-10T00:00Z"), endMs: at("2026-04-10T00:00Z"), empty: true });
    expect(w.skipReason).toMatch(/interval.end 2026-04-10T00:00:00.000Z has passed/);
  });

  it("a refresh after the declared end passed backfills the whole declared range", () => {
    const w = computeRunWindow({
      intervalTrigger: usgs,
      nowMs: now,
      watermarkMs: null,
      tz: "UTC",
      declaredInterval: { start: "2026-04-01T00:00:00Z", end: "2026-04-10T00:00:00Z" },
      refresh: true,
    });
    expect([hm(w.startMs), hm(w.endMs), w.skipReason]).toEqual(["2026-04-01T00:00Z", "2026-04-10T00:00Z", undefined]);
  });

  it("row 3: a manual run with no missed tick gets the empty window [E, E)", () => {
    const w = computeRunWindow({ intervalTrigger: schedule("0 3 * * *"), nowMs: at("2026-05-26T12:00Z"), watermarkMs: at("2026-05-26T03:00Z"), tz: "UTC", refresh: false });
    expect(w).toEqual({ startMs: at("2026-05-26T03:00Z"), endMs: at("2026-05-26T03:00Z"), empty: true });
  });

  it("DECISION: an inverted window becomes empty at its end", () => {
    const w = computeRunWindow({ intervalTrigger: usgs, nowMs: at("2026-03-29T01:01:30Z"), watermarkMs: null, tz: BERLIN, refresh: true });
    expect([hm(w.startMs), hm(w.endMs), w.empty]).toEqual(["2026-03-29T01:00Z", "2026-03-29T01:00Z", true]);
  });

  it("DECISION: a window never ends after the dispatch instant (tick in a skipped hour)", () => {
    // 02:30 CET does not exist on 2026-03-29; dlt's floor at 03:00:30 CEST maps it to 01:30Z, after now
    const nowMs = at("2026-03-29T01:00:30Z");
    const w = computeRunWindow({ intervalTrigger: schedule("30 * * * *"), nowMs, watermarkMs: at("2026-03-29T00:30Z"), tz: BERLIN, refresh: false });
    expect(w).toEqual({ startMs: at("2026-03-29T00:30Z"), endMs: nowMs, empty: false });
  });

  it("manual trigger of a tag-only job: point window", () => {
    const w = computeRunWindow({ intervalTrigger: manual(), nowMs: now, watermarkMs: null, tz: "UTC", refresh: true });
    expect(w).toEqual({ startMs: now, endMs: now, empty: true });
  });
});
