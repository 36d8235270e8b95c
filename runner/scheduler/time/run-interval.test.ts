import { describe, expect, it } from "vitest";
import { computeRunInterval } from "./run-interval.js";
import { at, every, hm, jobSuccess, manual, once, schedule } from "./test-helpers.js";

function text(w: { startMs: number; endMs: number }): string {
  return `[${new Date(w.startMs).toISOString()}, ${new Date(w.endMs).toISOString()})`;
}

describe("computeRunInterval (scheduling.md §4, dlt test vectors)", () => {
  const hourly = schedule("0 * * * *");

  it("schedule, no watermark: the most recently elapsed tick interval", () => {
    expect(text(computeRunInterval(hourly, at("2024-06-15T12:37:42.123Z"), null, "UTC"))).toBe(
      "[2024-06-15T11:00:00.000Z, 2024-06-15T12:00:00.000Z)",
    );
  });

  it("schedule: a now exactly on a tick counts as elapsed", () => {
    expect(text(computeRunInterval(hourly, at("2024-06-15T12:00:00Z"), null, "UTC"))).toBe(
      "[2024-06-15T11:00:00.000Z, 2024-06-15T12:00:00.000Z)",
    );
  });

  it("schedule: one millisecond before a tick still belongs to the previous interval", () => {
    expect(text(computeRunInterval(hourly, at("2024-06-15T11:59:59.999Z"), null, "UTC"))).toBe(
      "[2024-06-15T10:00:00.000Z, 2024-06-15T11:00:00.000Z)",
    );
  });

  it("schedule: the watermark extends the start backward (continuity)", () => {
    expect(text(computeRunInterval(hourly, at("2024-06-15T12:37:42Z"), at("2024-06-15T09:15:23.5Z"), "UTC"))).toBe(
      "[2024-06-15T09:15:23.500Z, 2024-06-15T12:00:00.000Z)",
    );
  });

  it("schedule in US/Eastern: 08:00 EDT ticks", () => {
    expect(text(computeRunInterval(schedule("0 8 * * *"), at("2024-06-15T11:00Z"), null, "US/Eastern"))).toBe(
      "[2024-06-13T12:00:00.000Z, 2024-06-14T12:00:00.000Z)",
    );
  });

  it("schedule in Berlin: midnights during summer time (row 10)", () => {
    expect(text(computeRunInterval(schedule("0 0 * * *"), at("2026-04-14T22:00Z"), null, "Europe/Berlin"))).toBe(
      "[2026-04-13T22:00:00.000Z, 2026-04-14T22:00:00.000Z)",
    );
  });

  it("every: [now − p, now) without watermark, [W, now) with one", () => {
    expect(text(computeRunInterval(every(300), at("2024-06-15T12:30Z"), null, "UTC"))).toBe(
      "[2024-06-15T12:25:00.000Z, 2024-06-15T12:30:00.000Z)",
    );
    expect(text(computeRunInterval(every(300), at("2024-06-15T12:30Z"), at("2024-06-15T12:01Z"), "UTC"))).toBe(
      "[2024-06-15T12:01:00.000Z, 2024-06-15T12:30:00.000Z)",
    );
  });

  it("once: always the point [t, t), watermark ignored", () => {
    const t = once("2026-03-15T08:00:00Z");
    expect(computeRunInterval(t, at("2026-03-15T08:00:01Z"), at("2026-03-01T00:00Z"), "UTC")).toEqual({
      startMs: at("2026-03-15T08:00Z"),
      endMs: at("2026-03-15T08:00Z"),
    });
  });

  it("event and manual triggers: the point [now, now), watermark ignored", () => {
    const now = at("2026-04-14T09:41:12Z");
    for (const trigger of [manual("jobs.a.b"), jobSuccess("jobs.a.ingest")]) {
      expect(computeRunInterval(trigger, now, at("2026-04-01T00:00Z"), "UTC")).toEqual({ startMs: now, endMs: now });
    }
  });

  it("DST corners of the unguarded function (dlt): inverted with no watermark", () => {
    const cron = schedule("*/3 * * * *");
    const spring = computeRunInterval(cron, at("2026-03-29T01:01:30Z"), null, "Europe/Berlin");
    expect([hm(spring.startMs), hm(spring.endMs)]).toEqual(["2026-03-29T01:57Z", "2026-03-29T01:00Z"]);
    const fall = computeRunInterval(cron, at("2026-10-25T01:01:30Z"), null, "Europe/Berlin");
    expect([hm(fall.startMs), hm(fall.endMs)]).toEqual(["2026-10-24T23:57Z", "2026-10-25T00:00Z"]);
  });
});
