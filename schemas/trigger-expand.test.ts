import { describe, expect, it } from "vitest";
import { computeDefaultTrigger, expandTriggers } from "./trigger-expand.js";

describe("expandTriggers", () => {
  it("appends tags, manual and pipeline_name in that order", () => {
    expect(
      expandTriggers({
        job_ref: "jobs.m.t",
        triggers: ["schedule:*/5 * * * *"],
        expose: { tags: ["transform", "nightly"] },
        deliver: { pipeline_name: "stats" },
      }),
    ).toEqual(["schedule:*/5 * * * *", "tag:transform", "tag:nightly", "manual:jobs.m.t", "pipeline_name:stats"]);
  });

  it("leaves out manual when expose.manual is false", () => {
    expect(expandTriggers({ job_ref: "jobs.m.t", triggers: ["every:5m"], expose: { manual: false } })).toEqual(["every:5m"]);
  });

  it("wraps a string expose.tags into one tag", () => {
    expect(expandTriggers({ job_ref: "jobs.x", triggers: [], expose: { tags: "backfill" } })).toEqual([
      "tag:backfill",
      "manual:jobs.x",
    ]);
  });

  it("is idempotent on an expanded list", () => {
    const job = { job_ref: "jobs.m.a", triggers: ["http:"], expose: { tags: ["a", "a"] }, deliver: { pipeline_name: "p" } };
    const once = expandTriggers(job);
    expect(expandTriggers({ ...job, triggers: once })).toEqual(once);
    expect(once).toEqual(["http:", "tag:a", "manual:jobs.m.a", "pipeline_name:p"]);
  });
});

describe("computeDefaultTrigger", () => {
  it.each([
    [["job.success:jobs.a.b", "every:5m"], "every:5m"],
    [["schedule:0 * * * *", "every:5m"], "schedule:0 * * * *"],
    [["deployment:", "job.fail:jobs.a.b"], "job.fail:jobs.a.b"],
    [["http:"], "http:"],
    [["deployment:", "manual:jobs.a"], null],
    [["tag:x", "webhook:"], "tag:x"],
    [[], null],
  ])("%j ⇒ %j", (triggers, expected) => {
    expect(computeDefaultTrigger(triggers)).toBe(expected);
  });

  it("accepts a job definition", () => {
    expect(computeDefaultTrigger({ triggers: ["job.success:jobs.a.b"] })).toBe("job.success:jobs.a.b");
  });
});
