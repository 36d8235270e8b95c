import { describe, expect, it } from "vitest";
import { JobRefNotFoundError } from "./job-ref.js";
import { isSelector, matchTriggersWithSelectors, pickTrigger, selectJobs, type SelectableJob } from "./selectors.js";

const cron = ["schedule:0 8 * * *", "tag:nightly", "manual:jobs.mod.ingest", "pipeline_name:fruit"];

describe("isSelector", () => {
  it.each([
    ["tag:x", true],
    ["batch", true],
    ["interactive", true],
    ["stream", true],
    ["job", true],
    ["schedule", true],
    ["job.success", true],
    ["pipeline_name", true],
    ["ingest", false],
    ["mod.ingest", false],
    ["foo.py", false],
  ])("%j ⇒ %s", (text, expected) => {
    expect(isSelector(text)).toBe(expected);
  });
});

describe("matchTriggersWithSelectors", () => {
  it.each([
    [["batch"], cron],
    [["job"], cron],
    [["interactive"], []],
    [["schedule"], ["schedule:0 8 * * *"]],
    [["tag:"], ["tag:nightly"]],
    [["schedule:0 8 *"], ["schedule:0 8 * * *"]],
    [["manual:jobs.mod.*"], ["manual:jobs.mod.ingest"]],
    [["pipeline_name:*", "tag:*", "tag:nightly"], ["pipeline_name:fruit", "tag:nightly"]],
    [["every"], []],
  ])("%j", (selectors, expected) => {
    expect(matchTriggersWithSelectors("batch", cron, selectors)).toEqual(expected);
  });

  it("job-type keywords match only their job type", () => {
    expect(matchTriggersWithSelectors("interactive", ["http:"], ["job"])).toEqual([]);
    expect(matchTriggersWithSelectors("interactive", ["http:"], ["interactive"])).toEqual(["http:"]);
  });
});

describe("pickTrigger", () => {
  it("prefers the default trigger, else the first matched", () => {
    expect(pickTrigger(["tag:x", "schedule:0 8 * * *"], "schedule:0 8 * * *")).toEqual({
      matched: "schedule:0 8 * * *",
      trigger: "schedule:0 8 * * *",
    });
    expect(pickTrigger(["tag:x", "manual:jobs.a"], "every:5m")).toEqual({ matched: "tag:x", trigger: "tag:x" });
    expect(pickTrigger([], "every:5m")).toBeNull();
  });

  it("launches a picked manual: trigger with the default trigger", () => {
    expect(pickTrigger(["manual:jobs.a"], "schedule:0 3 * * *")).toEqual({
      matched: "manual:jobs.a",
      trigger: "schedule:0 3 * * *",
    });
    expect(pickTrigger(["manual:jobs.a"], null)).toEqual({ matched: "manual:jobs.a", trigger: "manual:jobs.a" });
  });
});

describe("selectJobs", () => {
  const job = (ref: string, triggers: string[], extra: Partial<SelectableJob> = {}): SelectableJob => ({
    job_ref: ref,
    entry_point: { job_type: "batch" },
    triggers,
    ...extra,
  });
  const jobs = [
    job("jobs.p.backfill", [], { expose: { tags: ["backfill"] } }),
    job("jobs.p.daily", ["schedule:*/3 * * * *", "job.success:jobs.p.backfill"]),
    job("jobs.p.transform", ["job.success:jobs.p.daily"]),
    job("jobs.p.alert", ["job.fail:jobs.p.transform"]),
    job("jobs.p.hidden", ["every:5m"], { expose: { manual: false } }),
    job("jobs.p.unrelated", ["every:1h"]),
  ];

  it("resolves job names to manual selectors and collects follow-ups transitively", () => {
    const selection = selectJobs(jobs, ["backfill"]);
    expect(selection.selected.map((s) => [s.job.job_ref, s.trigger])).toEqual([["jobs.p.backfill", "manual:jobs.p.backfill"]]);
    expect(selection.followUps.map((s) => [s.job.job_ref, s.matchedTriggers])).toEqual([
      ["jobs.p.daily", ["job.success:jobs.p.backfill"]],
      ["jobs.p.transform", ["job.success:jobs.p.daily"]],
      ["jobs.p.alert", ["job.fail:jobs.p.transform"]],
    ]);
  });

  it("runs a manual launch of a scheduled job with its default trigger", () => {
    const selection = selectJobs(jobs, ["p.daily"]);
    expect(selection.selected[0]?.trigger).toBe("schedule:*/3 * * * *");
  });

  it("selects by tag and cannot launch a manual=false job by name", () => {
    expect(selectJobs(jobs, ["tag:backfill"]).selected.map((s) => s.job.job_ref)).toEqual(["jobs.p.backfill"]);
    expect(selectJobs(jobs, ["hidden"]).selected).toEqual([]);
  });

  it("errors on unknown names", () => {
    expect(() => selectJobs(jobs, ["nope"])).toThrow(JobRefNotFoundError);
  });
});
