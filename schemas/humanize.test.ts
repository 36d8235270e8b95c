import { describe, expect, it } from "vitest";
import { describeTrigger, humanizeTrigger } from "./humanize.js";

describe("humanizeTrigger", () => {
  it.each([
    ["schedule:0 2 * * *", "schedule: 0 2 * * *"],
    ["every:5m", "every 5m"],
    ["once:2026-03-15T08:00:00Z", "once at 2026-03-15T08:00:00Z"],
    ["manual:jobs.mod.ingest", "manual (ingest)"],
    ["manual:", "manual"],
    ["tag:nightly", "tag:nightly"],
    ["http:", "interactive service"],
    ["http:9090", "interactive service"],
    ["deployment:", "after deployment"],
    ["webhook:ingest", "webhook ingest"],
    ["webhook:", "webhook"],
    ["job.success:jobs.mod.upstream", "after upstream succeeds"],
    ["job.fail:jobs.mod.upstream", "after upstream fails"],
    ["pipeline_name:fruitshop", "pipeline: fruitshop"],
    ["every:10s", "every:10s"],
    ["garbage", "garbage"],
  ])("%j ⇒ %j", (raw, display) => {
    expect(humanizeTrigger(raw)).toBe(display);
  });
});

describe("triggers in words for people", () => {
  it("reads periods, common crons with their zone, and follow-ups", () => {
    const cases: Array<[string, string | undefined, string]> = [
      ["every:5m", undefined, "every 5 minutes"],
      ["every:1h", undefined, "every hour"],
      ["every:90m", undefined, "every 90 minutes"],
      ["every:2d", undefined, "every 2 days"],
      ["schedule:*/5 * * * *", undefined, "every 5 minutes"],
      ["schedule:* * * * *", undefined, "every minute"],
      ["schedule:0 * * * *", undefined, "hourly at :00"],
      ["schedule:15 * * * *", "UTC", "hourly at :15"],
      ["schedule:0 */6 * * *", undefined, "every 6 hours at :00"],
      ["schedule:0 3 * * *", "Europe/Berlin", "daily at 03:00 (Europe/Berlin)"],
      ["schedule:@daily", undefined, "daily at 00:00"],
      ["schedule:30 8 * * 1", undefined, "weekly on Monday at 08:30"],
      ["schedule:0 9 * * 1-5", undefined, "weekdays at 09:00"],
      ["schedule:0 4 1 * *", undefined, "monthly on day 1 at 04:00"],
      ["schedule:0 0 15W * *", undefined, "cron 0 0 15W * *"],
      ["job.success:jobs.mod.ingest", undefined, "after ingest succeeds"],
      ["job.fail:jobs.mod.ingest", undefined, "after ingest fails"],
      ["tag:backfill", undefined, "tag:backfill"],
      ["http:", undefined, "interactive service"],
    ];
    for (const [raw, zone, words] of cases) expect(describeTrigger(raw, zone), raw).toBe(words);
    expect(cases).toHaveLength(19);
  });
});
