import { describe, expect, it } from "vitest";
import { humanizeTrigger } from "./humanize.js";

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
