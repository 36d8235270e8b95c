import { describe, expect, it } from "vitest";
import { VirtualClock, openDatabase } from "../../core/index.js";
import { Scheduler, SchedulerStore, SimulatedExecutor } from "../../runner/scheduler/index.js";
import type { ApplyRequest } from "../reconcile/index.js";
import { SchedulerDeploymentTarget } from "./scheduler-target.js";

const T0 = Date.parse("2026-05-01T10:00:00Z");

function job(ref: string, triggers: string[] = ["every:5m"]) {
  return { job_ref: ref, entry_point: { module: "m", function: ref.split(".").pop(), job_type: "batch" }, triggers, expose: { manual: true }, execute: {} };
}

function request(workspace: string, jobs: ReturnType<typeof job>[], kind: ApplyRequest["kind"] = "push"): ApplyRequest {
  const hashes = Object.fromEntries(jobs.map((j) => [j.job_ref, JSON.stringify(j)]));
  const empty = { added: [], updated: [], unchanged: [], archived: [] };
  return { workspace, kind, version: 0, versionHash: "h", commit: { sha: `${workspace}-sha` }, checkoutDir: `/ck/${workspace}`, manifest: { jobs }, jobHashes: hashes, diff: empty };
}

async function setup() {
  const clock = new VirtualClock(T0);
  const executor = new SimulatedExecutor(clock, { runDurationMs: 1000 });
  const scheduler = new Scheduler({ clock, store: new SchedulerStore(openDatabase(":memory:")), executor });
  await scheduler.start();
  return { clock, executor, scheduler, target: new SchedulerDeploymentTarget({ scheduler }) };
}

describe("SchedulerDeploymentTarget", () => {
  it("keeps other workspaces' jobs active when one workspace deploys or is removed", async () => {
    const { scheduler, target } = await setup();
    await target.apply(request("a", [job("jobs.a.one"), job("jobs.a.two")]));
    await target.apply(request("b", [job("jobs.b.three")]));
    expect([...scheduler.jobs.keys()].sort()).toEqual(["a/jobs.a.one", "a/jobs.a.two", "b/jobs.b.three"]);
    await target.apply(request("a", [job("jobs.a.one")]));
    expect([...scheduler.jobs.keys()].sort()).toEqual(["a/jobs.a.one", "b/jobs.b.three"]);
    await target.apply(request("b", [], "remove"));
    expect([...scheduler.jobs.keys()]).toEqual(["a/jobs.a.one"]);
    expect(target.workspaceOfJob("a/jobs.a.one")?.checkoutDir).toBe("/ck/a");
    expect(target.workspaceOfJob("b/jobs.b.three")?.workspace).toBe("b");
  });

  it("deploys the same job ref from two workspaces as two jobs, each with its own checkout and runs", async () => {
    const { scheduler, target, executor } = await setup();
    await target.apply(request("a", [job("jobs.workspace.dashboard", ["deployment:"])]));
    await target.apply(request("b", [job("jobs.workspace.dashboard", ["deployment:"])]));
    expect([...scheduler.jobs.keys()].sort()).toEqual(["a/jobs.workspace.dashboard", "b/jobs.workspace.dashboard"]);
    expect(target.workspaceOfJob("b/jobs.workspace.dashboard")?.checkoutDir).toBe("/ck/b");
    expect(executor.started.map((s) => s.spec.jobRef)).toEqual(["a/jobs.workspace.dashboard", "b/jobs.workspace.dashboard"]);
    // the launcher still gets dlt's own ref
    expect(executor.started.map((s) => s.spec.job.job_ref)).toEqual(["jobs.workspace.dashboard", "jobs.workspace.dashboard"]);
    await target.apply(request("a", [], "remove"));
    expect([...scheduler.jobs.keys()]).toEqual(["b/jobs.workspace.dashboard"]);
  });

  it("resolves job.success follow-ups inside the upstream's own workspace when two workspaces share the refs", async () => {
    const { scheduler, target, executor, clock } = await setup();
    const pair = () => [job("jobs.m.ingest", ["tag:go"]), job("jobs.m.transform", ["job.success:jobs.m.ingest"])];
    await target.apply(request("a", pair()));
    await target.apply(request("b", pair()));
    const ingestOfA = scheduler.jobs.get("a/jobs.m.ingest");
    if (!ingestOfA) throw new Error("a/jobs.m.ingest not deployed");
    scheduler.dispatch(ingestOfA, "tag:go", "manual");
    clock.advanceBy(2_000);
    await new Promise((r) => setTimeout(r, 10));
    expect(executor.started.map((s) => s.spec.jobRef)).toEqual(["a/jobs.m.ingest", "a/jobs.m.transform"]);
  });

  it("rejects a whole deployment (scheduler untouched) when one job is invalid", async () => {
    const { scheduler, target } = await setup();
    await target.apply(request("a", [job("jobs.a.one")]));
    await expect(target.apply(request("a", [job("jobs.a.one"), job("jobs.a.bad", ["schedule:not a cron"])]))).rejects.toThrow(/jobs\.a\.bad/);
    expect([...scheduler.jobs.keys()]).toEqual(["a/jobs.a.one"]);
    expect(target.get("a")?.jobs.map((j) => j.job_ref)).toEqual(["jobs.a.one"]);
  });

  it("fires deployment: triggers after the apply, with the new checkout already known", async () => {
    const { executor, target } = await setup();
    await target.apply(request("a", [job("jobs.a.setup", ["deployment:"])]));
    expect(executor.started.map((s) => s.spec.jobRef)).toEqual(["a/jobs.a.setup"]);
    expect(target.workspaceOfJob("a/jobs.a.setup")?.checkoutDir).toBe("/ck/a");
  });

  it("fires only the pushed workspace's deployment: triggers, also for a push that changed no job", async () => {
    const { executor, target, clock } = await setup();
    await target.apply(request("a", [job("jobs.a.setup", ["deployment:"])]));
    clock.advanceBy(5_000);
    await target.apply(request("b", [job("jobs.b.setup", ["deployment:"])]));
    clock.advanceBy(5_000);
    await target.apply(request("b", [job("jobs.b.setup", ["deployment:"])]));
    expect(executor.started.map((s) => s.spec.jobRef)).toEqual(["a/jobs.a.setup", "b/jobs.b.setup", "b/jobs.b.setup"]);
  });
});
