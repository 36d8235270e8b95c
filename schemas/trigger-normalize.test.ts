import { describe, expect, it } from "vitest";
import { normalizeTrigger, normalizeTriggers } from "./trigger-normalize.js";

describe("normalizeTrigger", () => {
  it.each([
    ["  every:5m  ", "every:5m"],
    ["schedule:0 8 * * *", "schedule:0 8 * * *"],
    ["*/5 * * * *", "schedule:*/5 * * * *"],
    ["@daily", "schedule:@daily"],
    ["deployment", "deployment:"],
    ["http", "http:"],
    ["webhook", "webhook:"],
    ["job.success:jobs.a.b", "job.success:jobs.a.b"],
  ])("%j ⇒ %j", (input, expected) => {
    expect(normalizeTrigger(input)).toBe(expected);
  });

  it.each([
    ["manual:jobs.a", "manual: triggers are added automatically"],
    ["pipeline_name:x", "pipeline_name: triggers are added automatically"],
    ["manual", "manual: triggers are added automatically"],
    ["pipeline_name", "pipeline_name: triggers are added automatically"],
    ["schedule", "requires an expression"],
    ["tag", "requires an expression"],
    ["foo:bar", "unknown type 'foo'"],
    ["http://localhost:5000", "not a full URL"],
    ["5m", "cannot normalize"],
    ["2026-12-31T00:00:00Z", "unknown type '2026-12-31T00'"],
    ["1700000000", "cannot normalize"],
  ])("%j is rejected (%s)", (input, reason) => {
    expect(() => normalizeTrigger(input)).toThrow(reason);
  });
});

describe("normalizeTriggers", () => {
  it("maps null to an empty list and a string to one item", () => {
    expect(normalizeTriggers(null)).toEqual([]);
    expect(normalizeTriggers(undefined)).toEqual([]);
    expect(normalizeTriggers("@hourly")).toEqual(["schedule:@hourly"]);
  });

  it("flattens nested lists one level (job.completed) and keeps order and duplicates", () => {
    const completed = ["job.success:jobs.a.b", "job.fail:jobs.a.b"];
    expect(normalizeTriggers([completed, "every:5m", "every:5m"])).toEqual([
      "job.success:jobs.a.b",
      "job.fail:jobs.a.b",
      "every:5m",
      "every:5m",
    ]);
  });
});
