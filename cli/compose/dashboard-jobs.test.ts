import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VirtualClock, openDatabase } from "../../core/index.js";
import { Scheduler, SchedulerStore, type Executor, type JobDefinition, type RunExit } from "../../runner/scheduler/index.js";
import { selectActive } from "./job-lookup.js";
import { dashboardJobView } from "./views.js";

class InstantExecutor implements Executor {
  start() {
    const exit: RunExit = { exitCode: 0, killed: false };
    return { done: Promise.resolve(exit), onExit: (callback: (e: RunExit) => void) => callback(exit), stop: () => {}, kill: () => {} };
  }
}

const entry = (fn: string) => ({ module: "jobs", function: fn, job_type: "batch", launcher: "dlt._workspace.deployment.launchers.job" });

describe("dashboardJobView (GET /v1/dashboard/jobs rows)", () => {
  it("carries display name, tags, triggers in words, follow-up and freshness edges, the hold and the archived flag", async () => {
    const clock = new VirtualClock(Date.parse("2026-04-14T10:00:00Z"));
    const scheduler = new Scheduler({ clock, store: new SchedulerStore(openDatabase(join(mkdtempSync(join(tmpdir(), "dash-jobs-")), "s.sqlite"))), executor: new InstantExecutor() });
    await scheduler.start();
    const ingest = { job_ref: "jobs.ingest", entry_point: entry("ingest"), triggers: ["every:5m"], expose: { display_name: "Ingest quakes", tags: ["nightly", "usgs"] }, require: { timezone: "Europe/Berlin" } };
    const transform = { job_ref: "jobs.transform", entry_point: entry("transform"), triggers: ["job.success:jobs.ingest"], freshness: ["job.is_fresh:jobs.ingest"], expose: { tags: "single" } };
    const old = { job_ref: "jobs.old", entry_point: entry("old"), triggers: ["manual:jobs.old"] };
    scheduler.deploy({ manifest: { jobs: [ingest, transform, old] as unknown as JobDefinition[] } });
    scheduler.deploy({ manifest: { jobs: [ingest, transform] as unknown as JobDefinition[] } });

    const view = (ref: string, archived: boolean, held: string | null = null) => {
      const job = scheduler.known.get(ref);
      if (!job) throw new Error(`no job ${ref}`);
      return dashboardJobView(job, scheduler, { workspace: null, held, archived });
    };
    const i = view("jobs.ingest", false);
    expect(i).toMatchObject({ displayName: "Ingest quakes", tags: ["nightly", "usgs"], timezone: "Europe/Berlin", humanTriggers: ["every 5 minutes"], upstreams: [], held: null, archived: false });
    expect(i.nextFire).not.toBeNull();
    const t = view("jobs.transform", false, "freshness: ingest is not fresh");
    expect(t).toMatchObject({ displayName: null, tags: ["single"], humanTriggers: ["after ingest succeeds"], held: "freshness: ingest is not fresh" });
    expect(t.upstreams).toEqual([
      { key: "jobs.ingest", kind: "success" },
      { key: "jobs.ingest", kind: "fresh" },
    ]);
    expect(scheduler.jobs.has("jobs.old")).toBe(false);
    expect(view("jobs.old", true)).toMatchObject({ archived: true, nextFire: null, name: "old" });
    scheduler.stop();
  });
});

describe("selectActive without selectors (job list)", () => {
  it("lists every active job, and with -w only the jobs of that workspace (not of the cwd's default workspace)", async () => {
    const clock = new VirtualClock(Date.parse("2026-04-14T10:00:00Z"));
    const scheduler = new Scheduler({ clock, store: new SchedulerStore(openDatabase(join(mkdtempSync(join(tmpdir(), "select-")), "s.sqlite"))), executor: new InstantExecutor() });
    await scheduler.start();
    const job = (ws: string, fn: string) => ({ job_ref: `jobs.${fn}`, entry_point: entry(fn), triggers: [`manual:jobs.${fn}`], sluice_workspace: ws });
    scheduler.deploy({ manifest: { jobs: [job("a", "ingest"), job("a", "dashboard"), job("b", "dashboard")] as unknown as JobDefinition[] } });
    const keys = (scope: Parameters<typeof selectActive>[2]) => selectActive(scheduler, [], scope).selected.map((s) => s.job.jobRef).sort();
    expect(keys({})).toEqual(["a/jobs.dashboard", "a/jobs.ingest", "b/jobs.dashboard"]);
    expect(keys({ workspace: "b" })).toEqual(["b/jobs.dashboard"]);
    expect(keys({ defaultWorkspace: "b" })).toEqual(["a/jobs.dashboard", "a/jobs.ingest", "b/jobs.dashboard"]);
  });
});
