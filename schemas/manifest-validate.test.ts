import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { expandTriggers } from "./trigger-expand.js";
import { validateManifest } from "./manifest-validate.js";

type Json = Record<string, unknown>;
const example = (): Json =>
  JSON.parse(readFileSync(new URL("./testdata/usgs-manifest.json", import.meta.url), "utf8")) as Json;

const job = (ref: string, extra: Json = {}): Json => ({
  job_ref: ref,
  entry_point: { module: "m", function: ref.split(".").pop(), job_type: "batch", launcher: "dlt._workspace.deployment.launchers.job" },
  triggers: [],
  execute: { concurrency: 1 },
  ...extra,
});
const manifestOf = (...jobs: Json[]): Json => ({
  engine_version: 1,
  created_at: "2026-04-14T09:00:00+00:00",
  deployment_module: "__deployment__",
  jobs,
});
const messages = (issues: Array<{ message: string }>): string[] => issues.map((i) => i.message);

describe("validateManifest: worked example (manifest.md §12)", () => {
  it("has no errors and no warnings", () => {
    const result = validateManifest(example());
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.manifest?.jobs).toHaveLength(6);
  });

  it("expands to the table of registered triggers", () => {
    const jobs = validateManifest(example()).manifest?.jobs ?? [];
    expect(jobs.map((j) => expandTriggers(j))).toEqual([
      ["tag:backfill", "manual:jobs.usgs_pipeline.backfill_usgs"],
      [
        "schedule:*/3 * * * *",
        "job.success:jobs.usgs_pipeline.backfill_usgs",
        "manual:jobs.usgs_pipeline.usgs_daily",
        "pipeline_name:usgs_ingest_pipeline",
      ],
      [
        "schedule:*/5 * * * *",
        "tag:transform",
        "manual:jobs.usgs_pipeline.transform_earthquakes",
        "pipeline_name:usgs_earthquake_stats_pipeline",
      ],
      ["every:1m", "manual:jobs.usgs_pipeline.clock"],
      ["http:", "manual:jobs.usgs_dashboard"],
      ["http:", "manual:jobs.workspace.dashboard"],
    ]);
  });
});

describe("validateManifest: structure", () => {
  it("reports type errors with their path and stops", () => {
    const result = validateManifest(manifestOf(job("jobs.m.a", { triggers: "every:5m", refresh: "sometimes" })));
    expect(result.manifest).toBeUndefined();
    expect(result.errors.map((e) => e.path).sort()).toEqual(["jobs[0].refresh", "jobs[0].triggers"]);
  });

  it("reports a missing required key", () => {
    const broken = job("jobs.m.a");
    delete broken.execute;
    expect(validateManifest(manifestOf(broken)).errors.map((e) => e.path)).toEqual(["jobs[0].execute"]);
  });

  it("warns about unknown keys from newer dlt instead of failing", () => {
    const raw = manifestOf(job("jobs.m.a", { require: { instance: "large" }, shiny: true }));
    raw.extra = 1;
    const result = validateManifest(raw);
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((w) => [w.path, w.job]).sort()).toEqual([
      ["extra", undefined],
      ["jobs[0].require.instance", "jobs.m.a"],
      ["jobs[0].shiny", "jobs.m.a"],
    ]);
    expect(result.manifest?.jobs[0]).not.toHaveProperty("shiny");
  });

  it("accepts a missing engine_version as 1 and rejects other versions", () => {
    const raw = manifestOf();
    delete raw.engine_version;
    expect(validateManifest(raw).manifest?.engine_version).toBe(1);
    expect(messages(validateManifest({ ...manifestOf(), engine_version: 2 }).errors)[0]).toMatch(/engine_version 2/);
  });
});

describe("validateManifest: one case per rule (manifest.md §9)", () => {
  const cases: Array<[string, Json, "error" | "warning", RegExp]> = [
    ["1 job_ref grammar", manifestOf(job("mod.fn")), "error", /must start with 'jobs.'/],
    ["1 job_ref identifiers (backend)", manifestOf(job("jobs.my-mod.fn")), "error", /not an identifier/],
    ["2 reserved section", manifestOf(job("jobs.py.fn")), "error", /section 'py' is reserved/],
    ["2 reserved name", manifestOf(job("jobs.m.py")), "error", /name 'py' is reserved/],
    ["3 trigger parses", manifestOf(job("jobs.m.a", { triggers: ["every:30s"] })), "error", /Invalid trigger 'every:30s': minimum period/],
    ["3 default_trigger parses", manifestOf(job("jobs.m.a", { default_trigger: "cron:x" })), "error", /unknown type 'cron'/],
    ["4 freshness parses", manifestOf(job("jobs.m.a", { freshness: ["job.is_fresh:m.b"] })), "error", /Invalid freshness constraint/],
    ["5 batch with http", manifestOf(job("jobs.m.a", { triggers: ["http:"] })), "error", /batch job 'jobs.m.a' has http trigger/],
    [
      "6 interactive without http",
      manifestOf(job("jobs.m.a", { entry_point: { module: "m", function: "a", job_type: "interactive", launcher: "dlt._workspace.deployment.launchers.job" } })),
      "warning",
      /interactive job 'jobs.m.a' has no http trigger/,
    ],
    ["7 two timed triggers", manifestOf(job("jobs.m.a", { triggers: ["every:5m", "schedule:0 * * * *"] })), "error", /multiple interval-generating/],
    ["8 interval without timed trigger", manifestOf(job("jobs.m.a", { interval: { start: "2026-01-01" } })), "error", /has interval but no schedule or every/],
    [
      "9 interval start off tick",
      manifestOf(job("jobs.m.a", { triggers: ["schedule:0 * * * *"], interval: { start: "2026-01-01T00:30:00Z" } })),
      "warning",
      /interval start \(2026-01-01T00:30:00Z\) is not a cron tick for '0 \* \* \* \*'/,
    ],
    [
      "9 interval end off tick",
      manifestOf(job("jobs.m.a", { triggers: ["schedule:0 * * * *"], interval: { start: "2026-01-01", end: "2026-01-02T00:00:01Z" } })),
      "warning",
      /interval end .* is not a cron tick/,
    ],
    ["10 external schedulers without interval", manifestOf(job("jobs.m.a", { allow_external_schedulers: true })), "warning", /allow_external_schedulers but no interval/],
    ["11 dashboard must be interactive", manifestOf(job("jobs.workspace.dashboard", { expose: { interface: "gui", category: "dashboard" } })), "error", /must be interactive/],
    [
      "11 dashboard interface",
      manifestOf(job("jobs.workspace.dashboard", { expose: { category: "dashboard" } })),
      "error",
      /must have gui interface/,
    ],
    ["11 dashboard category", manifestOf(job("jobs.workspace.dashboard", { expose: { interface: "gui" } })), "error", /must have dashboard category/],
    ["12 duplicate job_ref", manifestOf(job("jobs.m.a"), job("jobs.m.a", { entry_point: { module: "x", function: null, job_type: "batch", launcher: "dlt._workspace.deployment.launchers.module" } })), "error", /duplicate job_ref: 'jobs.m.a'/],
    ["13 shared entry point", manifestOf(job("jobs.m.a"), job("jobs.n.a")), "warning", /share the same entry point 'm:a'/],
    ["14 unknown follow-up upstream", manifestOf(job("jobs.m.a", { triggers: ["job.success:jobs.m.zzz"] })), "error", /referencing unknown jobs: \['jobs.m.zzz'\]/],
    ["15 unknown freshness upstream", manifestOf(job("jobs.m.a", { freshness: ["job.is_fresh:jobs.m.zzz"] })), "error", /freshness constraint on unknown job 'jobs.m.zzz'/],
    ["16 matching-interval freshness", manifestOf(job("jobs.m.a", { freshness: ["job.is_matching_interval_fresh:jobs.m.b"] }), job("jobs.m.b")), "error", /not yet implemented/],
    [
      "18 is_fresh on interactive upstream",
      manifestOf(
        job("jobs.m.a", { freshness: ["job.is_fresh:jobs.m.ui"] }),
        job("jobs.m.ui", { triggers: ["http:"], entry_point: { module: "m", function: "ui", job_type: "interactive", launcher: "dlt._workspace.deployment.launchers.job" } }),
      ),
      "error",
      /upstream is an interactive job/,
    ],
    ["extra: concurrency < 1", manifestOf(job("jobs.m.a", { execute: { concurrency: 0 } })), "error", /concurrency 0; it must be at least 1/],
    ["extra: bad time zone", manifestOf(job("jobs.m.a", { require: { timezone: "Mars/Olympus" } })), "error", /unknown IANA time zone 'Mars\/Olympus'/],
    ["extra: unknown launcher", manifestOf(job("jobs.m.a", { entry_point: { module: "m", function: "a", job_type: "batch", launcher: "x.y" } })), "error", /unknown launcher 'x.y'/],
    ["extra: every: with bad interval.start", manifestOf(job("jobs.m.a", { triggers: ["every:5m"], interval: { start: "yesterday" } })), "error", /interval start 'yesterday' is not a valid timestamp/],
    ["extra: non-finite period", manifestOf(job("jobs.m.a", { triggers: ["every:nan"] })), "error", /Invalid trigger 'every:nan'/],
    ["extra: negative timeout", manifestOf(job("jobs.m.a", { execute: { timeout: { timeout: -1 } } })), "error", /timeout -1/],
  ];

  it.each(cases)("%s", (_name, raw, level, pattern) => {
    const result = validateManifest(raw);
    const [hit, other] = level === "error" ? [result.errors, result.warnings] : [result.warnings, result.errors];
    expect(messages(hit).some((m) => pattern.test(m)), messages(hit).join("\n")).toBe(true);
    expect(messages(other).some((m) => pattern.test(m))).toBe(false);
    expect(result.manifest).toBeDefined();
  });

  it("names the job of each issue", () => {
    const result = validateManifest(manifestOf(job("jobs.m.a", { triggers: ["every:5m", "every:10m"] })));
    expect(result.errors[0]).toMatchObject({ job: "jobs.m.a", path: "jobs[0].triggers" });
  });

  it("accepts a matching interval start on a tick and a null concurrency", () => {
    const result = validateManifest(
      manifestOf(job("jobs.m.a", { triggers: ["schedule:0 * * * *"], interval: { start: "2026-01-01T01:00:00+00:00" }, execute: { concurrency: null } })),
    );
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });
});
