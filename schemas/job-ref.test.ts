import { describe, expect, it } from "vitest";
import {
  AmbiguousJobRefError,
  InvalidJobRefError,
  JobRefNotFoundError,
  formatJobLabel,
  jobRefIssues,
  jobShortName,
  parseJobRef,
  resolveJobRef,
} from "./job-ref.js";

const known = ["jobs.batch.backfill", "jobs.batch.ingest", "jobs.other.ingest", "jobs.notebook"];

describe("parseJobRef", () => {
  it.each([
    ["jobs.notebook", { section: "", name: "notebook" }],
    ["jobs.mod.fn", { section: "mod", name: "fn" }],
  ])("%j", (ref, parts) => {
    expect(parseJobRef(ref)).toEqual(parts);
  });

  it.each(["mod.fn", "jobs.a.b.c", "Jobs.a"])("rejects %j", (ref) => {
    expect(() => parseJobRef(ref)).toThrow(InvalidJobRefError);
  });
});

describe("jobRefIssues", () => {
  it("accepts identifiers and reports reserved or non-identifier parts", () => {
    expect(jobRefIssues("jobs.mod.fn")).toEqual([]);
    expect(jobRefIssues("jobs.py.fn")).toEqual(["job 'jobs.py.fn': section 'py' is reserved"]);
    expect(jobRefIssues("jobs.mod.py")).toEqual(["job 'jobs.mod.py': name 'py' is reserved"]);
    expect(jobRefIssues("jobs.py")).toEqual(["job 'jobs.py': name 'py' is reserved"]);
    expect(jobRefIssues("jobs.1mod.fn")[0]).toMatch(/section '1mod' is not an identifier/);
    expect(jobRefIssues("jobs.mod.")[0]).toMatch(/name '' is not an identifier/);
    expect(jobRefIssues("mod.fn")[0]).toMatch(/must start with 'jobs.'/);
  });
});

describe("resolveJobRef", () => {
  it.each([
    ["jobs.batch.backfill", "jobs.batch.backfill"],
    ["  batch.backfill ", "jobs.batch.backfill"],
    ["backfill", "jobs.batch.backfill"],
    ["notebook", "jobs.notebook"],
  ])("%j ⇒ %j", (input, ref) => {
    expect(resolveJobRef(input, known)).toBe(ref);
  });

  it("lists the candidates of an ambiguous name", () => {
    expect(() => resolveJobRef("ingest", known)).toThrow(AmbiguousJobRefError);
    expect(() => resolveJobRef("ingest", known)).toThrow("matches: jobs.batch.ingest, jobs.other.ingest");
  });

  it("reports unknown refs with the known ones", () => {
    expect(() => resolveJobRef("missing", known)).toThrow(JobRefNotFoundError);
    expect(() => resolveJobRef("batch.missing", known)).toThrow(/jobs.batch.missing.*available: jobs.batch.backfill/);
    expect(() => resolveJobRef("jobs.x.y", known)).toThrow(JobRefNotFoundError);
  });

  it("needs known refs for bare names and rejects bad forms", () => {
    expect(resolveJobRef("a.b")).toBe("jobs.a.b");
    expect(() => resolveJobRef("name")).toThrow(/bare job name requires/);
    expect(() => resolveJobRef("a.b.c", known)).toThrow(InvalidJobRefError);
    expect(() => resolveJobRef("  ", known)).toThrow(/must not be empty/);
  });
});

describe("labels", () => {
  it("jobShortName is the last component", () => {
    expect(jobShortName("jobs.mod.ingest")).toBe("ingest");
    expect(jobShortName("jobs.notebook")).toBe("notebook");
  });

  it.each([
    [{ job_ref: "jobs.batch.backfill" }, "backfill (batch)"],
    [{ job_ref: "jobs.notebook" }, "notebook"],
    [{ job_ref: "jobs.same.same" }, "same"],
    [{ job_ref: "jobs.m.a", expose: { display_name: "Nice A" } }, "Nice A (m)"],
    [{ job_ref: "jobs.m.a", deliver: { pipeline_name: "p" } }, "a (p)"],
  ])("formatJobLabel(%j) = %j", (job, label) => {
    expect(formatJobLabel(job)).toBe(label);
  });
});
