import { describe, expect, it } from "vitest";
import { refreshCascadeTargets, type CascadeJob } from "./cascade.js";

const fresh = (ref: string): string => `job.is_fresh:${ref}`;

describe("refreshCascadeTargets (scheduling.md §8.3)", () => {
  it("worked manifest: backfill ⇒ usgs_daily ⇒ transform, root excluded", () => {
    const jobs: CascadeJob[] = [
      { jobRef: "jobs.usgs.backfill_usgs", freshness: [], refresh: "always" },
      { jobRef: "jobs.usgs.usgs_daily", freshness: [fresh("jobs.usgs.backfill_usgs")] },
      { jobRef: "jobs.usgs.transform_earthquakes", freshness: [fresh("jobs.usgs.usgs_daily")] },
    ];
    expect(refreshCascadeTargets("jobs.usgs.backfill_usgs", jobs)).toEqual(["jobs.usgs.usgs_daily", "jobs.usgs.transform_earthquakes"]);
  });

  it("walks freshness edges only, not follow-up triggers", () => {
    const jobs: CascadeJob[] = [
      { jobRef: "jobs.j.ingest_jaffle", freshness: [] },
      { jobRef: "jobs.j.transform_jaffle", freshness: [] }, // triggered by job.success only
    ];
    expect(refreshCascadeTargets("jobs.j.ingest_jaffle", jobs)).toEqual([]);
  });

  it("a block node is neither included nor walked through, but a diamond still reaches behind it", () => {
    const jobs: CascadeJob[] = [
      { jobRef: "jobs.m.a", freshness: [] },
      { jobRef: "jobs.m.b", freshness: [fresh("jobs.m.a")], refresh: "block" },
      { jobRef: "jobs.m.only_b", freshness: [fresh("jobs.m.b")] },
      { jobRef: "jobs.m.c", freshness: [fresh("jobs.m.a")] },
      { jobRef: "jobs.m.d", freshness: [fresh("jobs.m.b"), fresh("jobs.m.c")] },
    ];
    expect(refreshCascadeTargets("jobs.m.a", jobs)).toEqual(["jobs.m.c", "jobs.m.d"]);
  });

  it("breadth-first order, siblings in job order, each node once; cycles never include the root", () => {
    const jobs: CascadeJob[] = [
      { jobRef: "jobs.m.root", freshness: [fresh("jobs.m.deep")] },
      { jobRef: "jobs.m.deep", freshness: [fresh("jobs.m.x")] },
      { jobRef: "jobs.m.y", freshness: [fresh("jobs.m.root")] },
      { jobRef: "jobs.m.x", freshness: [fresh("jobs.m.root"), `job.is_matching_interval_fresh:jobs.m.y`] },
    ];
    expect(refreshCascadeTargets("jobs.m.root", jobs)).toEqual(["jobs.m.y", "jobs.m.x", "jobs.m.deep"]);
  });

  it("skips interval-store jobs and unparseable constraints", () => {
    const jobs: CascadeJob[] = [
      { jobRef: "jobs.m.a", freshness: [] },
      { jobRef: "jobs.m.store", freshness: [fresh("jobs.m.a")], intervalStore: true },
      { jobRef: "jobs.m.after_store", freshness: [fresh("jobs.m.store")] },
      { jobRef: "jobs.m.bad", freshness: ["is_fresh:jobs.m.a", "job.is_fresh:m.a"] },
    ];
    expect(refreshCascadeTargets("jobs.m.a", jobs)).toEqual([]);
  });

  it("handles 10,000 jobs in one pass", () => {
    const jobs: CascadeJob[] = [{ jobRef: "jobs.m.j0", freshness: [] }];
    for (let i = 1; i < 10_000; i++) jobs.push({ jobRef: `jobs.m.j${i}`, freshness: [fresh(`jobs.m.j${Math.floor((i - 1) / 3)}`)] });
    const targets = refreshCascadeTargets("jobs.m.j0", jobs);
    expect(targets).toHaveLength(9_999);
    expect(targets.slice(0, 4)).toEqual(["jobs.m.j1", "jobs.m.j2", "jobs.m.j3", "jobs.m.j4"]);
  });
});
