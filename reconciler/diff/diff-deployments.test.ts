import { describe, expect, it } from "vitest";
import { diffDeployments, isEmptyDiff, summarizeDiff } from "./diff-deployments.js";

const job = (ref: string) => ({ job_ref: ref });

describe("diffDeployments", () => {
  it("reports every job as added on the first deployment", () => {
    const diff = diffDeployments(null, { jobs: [job("jobs.a"), job("jobs.b")], jobHashes: { "jobs.a": "1", "jobs.b": "2" } });
    expect(diff.added.map((c) => c.jobRef)).toEqual(["jobs.a", "jobs.b"]);
    expect(summarizeDiff(diff)).toEqual({ added: 2, updated: 0, unchanged: 0, archived: 0 });
  });

  it("classifies by per-job hash: added, updated, unchanged, archived", () => {
    const previous = { jobs: [job("jobs.a"), job("jobs.b"), job("jobs.c")], jobHashes: { "jobs.a": "1", "jobs.b": "2", "jobs.c": "3" } };
    const next = { jobs: [job("jobs.a"), job("jobs.b"), job("jobs.d")], jobHashes: { "jobs.a": "1", "jobs.b": "2x", "jobs.d": "4" } };
    const diff = diffDeployments(previous, next);
    expect(diff.unchanged).toEqual([{ jobRef: "jobs.a", status: "unchanged", hash: "1", previousHash: "1" }]);
    expect(diff.updated).toEqual([{ jobRef: "jobs.b", status: "updated", hash: "2x", previousHash: "2" }]);
    expect(diff.added).toEqual([{ jobRef: "jobs.d", status: "added", hash: "4" }]);
    expect(diff.archived).toEqual([{ jobRef: "jobs.c", status: "archived", previousHash: "3" }]);
    expect(isEmptyDiff(diff)).toBe(false);
  });

  it("an identical job set is an empty diff, whatever else the job objects carry", () => {
    const previous = { jobs: [{ job_ref: "jobs.a", description: "old text" }], jobHashes: { "jobs.a": "1" } };
    const next = { jobs: [{ job_ref: "jobs.a", description: "new text" }], jobHashes: { "jobs.a": "1" } };
    const diff = diffDeployments(previous, next);
    expect(isEmptyDiff(diff)).toBe(true);
    expect(diff.unchanged).toHaveLength(1);
  });

  it("marks a ref that was archived before and comes back as added + revived", () => {
    const previous = { jobs: [job("jobs.a")], jobHashes: { "jobs.a": "1" }, archivedRefs: ["jobs.b"] };
    const next = { jobs: [job("jobs.a"), job("jobs.b")], jobHashes: { "jobs.a": "1", "jobs.b": "2" } };
    expect(diffDeployments(previous, next).added).toEqual([{ jobRef: "jobs.b", status: "added", hash: "2", revived: true }]);
  });

  it("refuses a manifest with a duplicate ref or a missing hash", () => {
    expect(() => diffDeployments(null, { jobs: [job("jobs.a"), job("jobs.a")], jobHashes: { "jobs.a": "1" } })).toThrow(/twice/);
    expect(() => diffDeployments(null, { jobs: [job("jobs.a")], jobHashes: {} })).toThrow(/No job hash for 'jobs.a'/);
  });
});
