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
    expect([...scheduler.jobs.keys()].sort()).toEqual(["jobs.a.one", "jobs.a.two", "jobs.b.three"]);
    await target.apply(request("a", [job("jobs.a.one")]));
    expect([...scheduler.jobs.keys()].sort()).toEqual(["jobs.a.one", "jobs.b.three"]);
    await target.apply(request("b", [], "remove"));
    expect([...scheduler.jobs.keys()]).toEqual(["jobs.a.one"]);
    expect(target.workspaceOfJob("jobs.a.one")?.checkoutDir).toBe("/ck/a");
    expect(target.workspaceOfJob("jobs.b.three")?.workspace).toBe("b");
  });

  it("rejects a whole deployment (scheduler untouched) when one job is invalid or owned by another workspace", async () => {
    const { scheduler, target } = await setup();
    await target.apply(request("a", [job("jobs.a.one")]));
    await expect(target.apply(request("b", [job("jobs.b.ok"), job("jobs.a.one")]))).rejects.toThrow(/already deployed by workspace 'a'/);
    await expect(target.apply(request("a", [job("jobs.a.one"), job("jobs.a.bad", ["schedule:not a cron"])]))).rejects.toThrow(/jobs\.a\.bad/);
    expect([...scheduler.jobs.keys()]).toEqual(["jobs.a.one"]);
    expect(target.get("a")?.jobs.map((j) => j.job_ref)).toEqual(["jobs.a.one"]);
  });

  it("fires deployment: triggers after the apply, with the new checkout already known", async () => {
    const { executor, target } = await setup();
    await target.apply(request("a", [job("jobs.a.setup", ["deployment:"])]));
    expect(executor.started.map((s) => s.spec.jobRef)).toEqual(["jobs.a.setup"]);
    expect(target.workspaceOfJob("jobs.a.setup")?.checkoutDir).toBe("/ck/a");
  });

  it("fires only the pushed workspace's deployment: triggers, also for a push that changed no job", async () => {
    const { executor, target, clock } = await setup();
    await target.apply(request("a", [job("jobs.a.setup", ["deployment:"])]));
    clock.advanceBy(5_000);
    await target.apply(request("b", [job("jobs.b.setup", ["deployment:"])]));
    clock.advanceBy(5_000);
    await target.apply(request("b", [job("jobs.b.setup", ["deployment:"])]));
    expect(executor.started.map((s) => s.spec.jobRef)).toEqual(["jobs.a.setup", "jobs.b.setup", "jobs.b.setup"]);
  });
});
