/** One test per scheduler DECISION documented in docs/scheduling.md. */
import { describe, expect, it } from "vitest";
import type { Clock, TimerHandle } from "../core/index.js";
import { openDatabase } from "../core/index.js";
import { Scheduler, SchedulerStore, SimulatedExecutor, triggerJobs, type Simulation } from "../runner/scheduler/index.js";
import { USGS_MANIFEST, batchJob, manifestOf, ms } from "./scheduler-fixtures.js";
import { simulations } from "./scheduler-simulations.js";

const simulate = simulations();

const of = (s: Simulation, job: string, event?: string) => s.records.filter((r) => r.job === job && (!event || r.event === event));

describe("concurrency (limit 1 by default)", () => {
  it("queues one coalesced run, records extra triggers as skipped, and keeps windows continuous", async () => {
    const s = await simulate("2026-04-14T10:00:00Z", [batchJob("slow", { triggers: ["schedule:*/3 * * * *"] })], { runDurationMs: 7 * 60_000 });
    s.advanceTo(ms("2026-04-14T10:20:00Z"));
    const events = of(s, "slow").map((r) => [r.at.slice(11, 19), r.event, r.interval_start?.slice(11, 19) ?? null, r.interval_end?.slice(11, 19) ?? null]);
    expect(events.slice(0, 6)).toEqual([
      ["10:03:00", "started", "10:00:00", "10:03:00"],
      ["10:06:00", "queued", null, null],
      ["10:09:00", "skipped", null, null],
      ["10:10:00", "succeeded", "10:00:00", "10:03:00"],
      ["10:10:00", "started", "10:03:00", "10:09:00"],
      ["10:12:00", "queued", null, null],
    ]);
    expect(of(s, "slow", "queued")[0]?.reason).toMatch(/^concurrency limit 1 reached: run-1 running since 2026-04-14T10:03:00/);
    expect(of(s, "slow", "skipped")[0]?.reason).toMatch(/coalesced into queued run-2/);
    const waiting = s.scheduler.waiting().filter((w) => w.kind === "concurrency");
    expect(waiting[0]).toMatchObject({ jobRef: "jobs.mod.slow", sinceMs: ms("2026-04-14T10:18:00Z") });
  });

  it("starts concurrent runs up to execute.concurrency, and without limit when it is null", async () => {
    const s = await simulate(
      "2026-04-14T10:00:00Z",
      [batchJob("two", { execute: { concurrency: 2 } }), batchJob("any", { execute: { concurrency: null } })],
      { runDurationMs: 60 * 60_000 },
    );
    for (let i = 0; i < 3; i++) triggerJobs(s.scheduler, ["two", "any"]);
    expect(of(s, "two").map((r) => r.event)).toEqual(["started", "started", "queued"]);
    expect(of(s, "any").map((r) => r.event)).toEqual(["started", "started", "started"]);
  });
});

describe("timeouts", () => {
  const job = (fields: Record<string, unknown> = {}) =>
    batchJob("long", { triggers: ["schedule:0 * * * *"], execute: { concurrency: 1, timeout: { timeout: 60, grace_period: 10 } }, ...fields });

  it("stops at timeout, kills after the grace period, records timed_out, emits job.fail, keeps the watermark", async () => {
    const onFail = batchJob("alert", { triggers: ["job.fail:jobs.mod.long"] });
    const s = await simulate("2026-04-14T09:30:00Z", [job(), onFail], { runDurationMs: 10 * 60_000 });
    s.advanceTo(ms("2026-04-14T10:05:00Z"));
    const finished = of(s, "long").find((r) => r.event !== "started");
    expect(finished).toMatchObject({ event: "timed_out", at: "2026-04-14T10:01:10.000Z" });
    expect(finished?.reason).toBe("timed out after 1m; killed after grace period 10s");
    expect(of(s, "alert", "started")[0]?.at).toBe("2026-04-14T10:01:10.000Z");
    expect(s.scheduler.watermarks.get("jobs.mod.long")).toBeNull();
  });

  it("a run that exits cleanly on SIGTERM within the grace period counts as completed", async () => {
    const s = await simulate("2026-04-14T09:30:00Z", [job()], { runDurationMs: 10 * 60_000, onSigterm: "exit-ok" });
    s.advanceTo(ms("2026-04-14T10:05:00Z"));
    expect(of(s, "long").map((r) => [r.event, r.at])).toEqual([
      ["started", "2026-04-14T10:00:00.000Z"],
      ["succeeded", "2026-04-14T10:01:00.000Z"],
    ]);
  });

  it("uses the 120 min batch default when no timeout is declared", async () => {
    const s = await simulate("2026-04-14T09:30:00Z", [batchJob("forever", { triggers: ["schedule:0 10 * * *"] })], { runDurationMs: 5 * 3600_000 });
    s.advanceTo(ms("2026-04-14T13:00:00Z"));
    expect(of(s, "forever", "timed_out")[0]?.at).toBe("2026-04-14T12:00:30.000Z");
  });
});

describe("follow-ups", () => {
  it("job.success, job.fail and both (.completed) fire once per upstream completion", async () => {
    const up = batchJob("up", { triggers: ["schedule:*/10 * * * *"] });
    const jobs = [
      up,
      batchJob("on_ok", { triggers: ["job.success:jobs.mod.up"] }),
      batchJob("on_fail", { triggers: ["job.fail:jobs.mod.up"] }),
      batchJob("on_done", { triggers: ["job.success:jobs.mod.up", "job.fail:jobs.mod.up"] }),
    ];
    const s = await simulate("2026-04-14T10:00:00Z", jobs, { failures: [{ job: "up", atMs: ms("2026-04-14T10:20:00Z") }] });
    s.advanceTo(ms("2026-04-14T10:25:00Z"));
    expect(of(s, "on_ok", "started").map((r) => r.at)).toEqual(["2026-04-14T10:10:30.000Z"]);
    expect(of(s, "on_fail", "started").map((r) => r.at)).toEqual(["2026-04-14T10:20:30.000Z"]);
    expect(of(s, "on_done", "started").map((r) => r.trigger)).toEqual(["job.success:jobs.mod.up", "job.fail:jobs.mod.up"]);
  });

  it("an explicit refresh does not travel over follow-up edges", async () => {
    const ingest = batchJob("ingest", { triggers: ["every:1h"] });
    const transform = batchJob("transform", { triggers: ["job.success:jobs.mod.ingest"] });
    const s = await simulate("2026-04-14T10:00:00Z", [ingest, transform]);
    s.advanceTo(ms("2026-04-14T11:05:00Z"));
    const result = triggerJobs(s.scheduler, ["ingest"], { refresh: true });
    expect(result.cleared).toEqual(["jobs.mod.ingest"]);
    s.advanceTo(ms("2026-04-14T11:10:00Z"));
    expect(of(s, "transform", "started").map((r) => r.refresh)).toEqual([true, false]);
    expect(of(s, "ingest", "started").map((r) => r.refresh)).toEqual([true, true]);
  });
});

describe("refresh cascade", () => {
  /** usgs plus a blocking transform with its own downstream report. */
  const jobs = () => [
    ...USGS_MANIFEST.jobs,
    batchJob("transform_regions", {
      triggers: ["schedule:*/5 * * * *"],
      refresh: "block",
      freshness: ["job.is_fresh:jobs.usgs_pipeline.usgs_daily"],
    }),
    batchJob("report", { triggers: ["schedule:*/5 * * * *"], freshness: ["job.is_fresh:jobs.mod.transform_regions"] }),
  ];

  it("a backfill success clears usgs_daily and the transforms, and stops at a block job", async () => {
    const s = await simulate("2026-04-14T09:58:00Z", jobs(), { runDurationMs: 20_000 });
    triggerJobs(s.scheduler, ["tag:backfill"]);
    s.advanceTo(ms("2026-04-14T10:11:00Z"));
    expect(s.scheduler.watermarks.get("jobs.mod.transform_regions")).toBe(ms("2026-04-14T10:10:00Z"));
    const cleared: string[][] = [];
    s.scheduler.events.on("refresh:cleared", (e) => cleared.push(e.cleared));
    triggerJobs(s.scheduler, ["tag:backfill"]);
    s.advanceTo(ms("2026-04-14T10:16:00Z"));
    expect(cleared).toEqual([["jobs.usgs_pipeline.usgs_daily", "jobs.usgs_pipeline.transform_earthquakes"]]);
    // the follow-up usgs_daily run and the next transform run are refresh runs from interval.start
    const daily = of(s, "usgs_daily", "started").find((r) => r.at === "2026-04-14T10:11:20.000Z");
    expect(daily).toMatchObject({ refresh: true, interval_start: "2026-04-01T00:00:00.000Z" });
    expect(of(s, "transform_earthquakes", "started").at(-1)).toMatchObject({ refresh: true, interval_start: "2026-04-01T00:00:00.000Z" });
    expect(of(s, "transform_regions", "started").at(-1)).toMatchObject({ refresh: false, interval_start: "2026-04-14T10:10:00.000Z" });
    expect(of(s, "report", "started").at(-1)?.refresh).toBe(false);
  });

  it("--refresh on a block job is ignored with a warning and the run proceeds without refresh", async () => {
    const s = await simulate("2026-04-14T09:58:00Z", jobs(), { runDurationMs: 20_000 });
    triggerJobs(s.scheduler, ["tag:backfill"]);
    s.advanceTo(ms("2026-04-14T10:11:00Z"));
    const result = triggerJobs(s.scheduler, ["transform_regions"], { refresh: true });
    expect(result.warnings).toEqual([{ jobRef: "jobs.mod.transform_regions", message: "--refresh ignored (refresh=block)" }]);
    expect(result.runs[0]).toMatchObject({ status: "running", refresh: false });
  });

  it("--refresh of a running job is skipped with a warning, clears nothing, and the queued run starts without refresh", async () => {
    const s = await simulate("2026-04-14T09:58:00Z", [batchJob("slow", { triggers: ["schedule:*/5 * * * *"] })], { runDurationMs: 120_000 });
    s.advanceTo(ms("2026-04-14T10:06:00Z"));
    const watermark = s.scheduler.watermarks.get("jobs.mod.slow");
    const result = triggerJobs(s.scheduler, ["slow"], { refresh: true });
    expect(result.warnings).toEqual([{ jobRef: "jobs.mod.slow", message: "--refresh skipped (job is running)" }]);
    expect(result.cleared).toEqual([]);
    expect(result.runs[0]).toMatchObject({ status: "pending", refresh: false });
    expect(watermark).toBe(ms("2026-04-14T10:00:00Z"));
    expect(s.scheduler.watermarks.get("jobs.mod.slow")).toBe(watermark);
    s.advanceTo(ms("2026-04-14T10:08:00Z"));
    expect(of(s, "slow", "started").map((r) => [r.at.slice(11, 19), r.refresh])).toEqual([["10:00:00", true], ["10:05:00", false], ["10:07:00", false]]);
  });

  it("--refresh is skipped when the target's freshness gate fails", async () => {
    const s = await simulate("2026-04-14T09:58:00Z", jobs());
    const result = triggerJobs(s.scheduler, ["usgs_daily"], { refresh: true });
    expect(result.warnings[0]?.message).toMatch(/^--refresh skipped \(.*backfill_usgs.*refresh pending/);
    expect(result.cleared).toEqual([]);
  });
});

describe("durability and restarts", () => {
  it("nothing runs twice after a restart: an in-flight run is recorded as lost, the next tick covers its window", async () => {
    const s = await simulate("2026-04-14T09:58:00Z", [batchJob("ingest", { triggers: ["schedule:*/5 * * * *"] })], { runDurationMs: 120_000 });
    await s.restart(ms("2026-04-14T10:06:00Z"), ms("2026-04-14T10:08:00Z"));
    s.advanceTo(ms("2026-04-14T10:12:00Z"));
    expect(of(s, "ingest").map((r) => [r.at.slice(11, 19), r.event, r.interval_start?.slice(11, 19), r.interval_end?.slice(11, 19)])).toEqual([
      ["10:00:00", "started", "09:55:00", "10:00:00"],
      ["10:02:00", "succeeded", "09:55:00", "10:00:00"],
      ["10:05:00", "started", "10:00:00", "10:05:00"],
      ["10:08:00", "failed", "10:00:00", "10:05:00"],
      ["10:10:00", "started", "10:00:00", "10:10:00"],
      ["10:12:00", "succeeded", "10:00:00", "10:10:00"],
    ]);
    expect(of(s, "ingest", "failed")[0]?.reason).toBe("lost: the daemon stopped while the run was active");
    expect(s.scheduler.store.allRuns().filter((r) => r.status === "running")).toEqual([]);
  });

  it("a run found lost at the next start fires its job.fail follow-up at that start, once", async () => {
    const alert = batchJob("alert", { triggers: ["job.fail:jobs.mod.ingest"] });
    const s = await simulate("2026-04-14T09:58:00Z", [batchJob("ingest", { triggers: ["schedule:*/5 * * * *"] }), alert], { runDurationMs: 120_000 });
    await s.restart(ms("2026-04-14T10:01:00Z"), ms("2026-04-14T10:03:00Z"));
    s.advanceTo(ms("2026-04-14T10:04:00Z"));
    expect(of(s, "ingest", "failed").map((r) => r.at)).toEqual(["2026-04-14T10:03:00.000Z"]);
    expect(of(s, "alert", "started").map((r) => r.at)).toEqual(["2026-04-14T10:03:00.000Z"]);
    await s.restart(ms("2026-04-14T10:04:00Z"), ms("2026-04-14T10:04:30Z"));
    expect(of(s, "alert", "started")).toHaveLength(1);
  });

  it("a follow-up recorded with its run's outcome but not dispatched (a crash between) starts at the next start, and only at that one", async () => {
    const db = `/tmp/sluice-sched-${process.pid}-${Date.now()}-outbox.sqlite`;
    const clock = new ManualClock(ms("2026-04-14T10:00:00Z"));
    const jobs = [batchJob("up"), batchJob("down", { triggers: ["job.success:jobs.mod.up"] })];
    const first = new Scheduler({ clock, store: new SchedulerStore(openDatabase(db)), executor: new SimulatedExecutor(clock, { runDurationMs: 60_000 }) });
    await first.start();
    first.deploy({ manifest: manifestOf(...jobs) });
    triggerJobs(first, ["up"]);
    first.stop();
    // the state a kill -9 right after the outcome's commit leaves: `up` completed, its follow-up owed
    const store = new SchedulerStore(openDatabase(db));
    const up = store.allRuns().find((r) => r.jobRef === "jobs.mod.up");
    if (!up) throw new Error("no run of up");
    store.updateRun({ ...up, status: "completed", finishedMs: clock.now(), exitCode: 0 });
    store.addFollowUp(up.runId, "job.success:jobs.mod.up", clock.now());
    const started = async () => {
      const executor = new SimulatedExecutor(clock, { runDurationMs: 60_000 });
      const scheduler = new Scheduler({ clock, store: new SchedulerStore(openDatabase(db)), executor });
      await scheduler.start();
      scheduler.stop();
      return executor.started.map((r) => r.spec.jobRef);
    };
    expect(await started()).toEqual(["jobs.mod.down"]);
    expect(await started()).toEqual([]);
    expect(store.owedFollowUps()).toEqual([]);
  });

  it("a queued run survives a restart and starts at boot (nothing due is lost)", async () => {
    const db = `/tmp/sluice-sched-${process.pid}-${Date.now()}.sqlite`;
    const clock = new ManualClock(ms("2026-04-14T10:00:00Z"));
    const first = new Scheduler({ clock, store: new SchedulerStore(openDatabase(db)), executor: new SimulatedExecutor(clock, { runDurationMs: 3600_000 }) });
    await first.start();
    first.deploy({ manifest: manifestOf(batchJob("q")) });
    triggerJobs(first, ["q"]);
    triggerJobs(first, ["q"]);
    expect(first.store.openRuns().map((r) => r.status)).toEqual(["running", "pending"]);
    first.stop();
    clock.set(ms("2026-04-14T10:30:00Z"));
    const executor = new SimulatedExecutor(clock, { runDurationMs: 60_000 });
    const second = new Scheduler({ clock, store: new SchedulerStore(openDatabase(db)), executor });
    await second.start();
    expect(executor.started.map((r) => r.spec.runId)).toEqual(["run-2"]);
    expect(second.store.getRun("run-1")?.status).toBe("cancelled");
  });

  it("a past once: fires once at deploy and never again (restart, unchanged and updated redeploys)", async () => {
    const job = batchJob("setup", { triggers: ["once:2026-01-01T00:00:00Z"] });
    const s = await simulate("2026-04-14T10:00:00Z", [job]);
    s.advanceTo(ms("2026-04-14T10:01:00Z"));
    await s.restart(ms("2026-04-14T10:02:00Z"), ms("2026-04-14T10:03:00Z"));
    s.deploy({ manifest: manifestOf(job) });
    s.deploy({ manifest: manifestOf({ ...job, description: "changed" }) });
    s.advanceTo(ms("2026-04-15T10:00:00Z"));
    expect(of(s, "setup", "started").map((r) => [r.at, r.interval_start])).toEqual([["2026-04-14T10:00:00.000Z", "2026-01-01T00:00:00.000Z"]]);
  });

  it("a timer that fires late catches up with one run; one that fires early is re-armed", async () => {
    const { clock, executor, scheduler } = await tickEveryFiveMinutes(30_000);
    clock.set(ms("2026-04-14T10:04:40Z")); // the 10:05 timer wakes 20 s early: nothing may start
    expect(executor.started).toHaveLength(0);
    clock.set(ms("2026-04-14T10:05:00Z"));
    clock.set(ms("2026-04-14T10:31:00Z")); // the host slept through five ticks
    expect(executor.started.map((r) => [new Date(r.startedAtMs).toISOString(), new Date(r.spec.intervalStartMs).toISOString(), new Date(r.spec.intervalEndMs).toISOString()])).toEqual([
      ["2026-04-14T10:05:00.000Z", "2026-04-14T10:00:00.000Z", "2026-04-14T10:05:00.000Z"],
      ["2026-04-14T10:31:00.000Z", "2026-04-14T10:05:00.000Z", "2026-04-14T10:30:00.000Z"],
    ]);
    expect(scheduler.nextDueAt()).toBe(ms("2026-04-14T10:35:00Z"));
    expect(scheduler.store.runsOfJob("jobs.mod.tick", 1)[0]?.reason).toBe("covers ticks missed since 2026-04-14T10:10:00.000Z (the scheduler woke late)");
  });

  it("a clock jumping backwards never schedules a tick twice", async () => {
    const { clock, executor } = await tickEveryFiveMinutes();
    clock.set(ms("2026-04-14T10:05:00Z"));
    clock.set(ms("2026-04-14T10:02:00Z"));
    clock.set(ms("2026-04-14T10:05:00Z"));
    clock.set(ms("2026-04-14T10:09:00Z"));
    expect(executor.started.map((r) => new Date(r.startedAtMs).toISOString())).toEqual(["2026-04-14T10:05:00.000Z"]);
  });
});

describe("re-deploys", () => {
  const cronJob = (cron: string) => batchJob("ingest", { triggers: [`schedule:${cron}`] });

  it("an unchanged every: job keeps its cadence across a redeploy", async () => {
    const s = await simulate("2026-04-14T10:00:00Z", [batchJob("beat", { triggers: ["every:1h"] })]);
    s.advanceTo(ms("2026-04-14T10:40:00Z"));
    expect(s.deploy({ manifest: manifestOf(batchJob("beat", { triggers: ["every:1h"] })) }).changes).toEqual([{ jobRef: "jobs.mod.beat", status: "unchanged" }]);
    s.advanceTo(ms("2026-04-14T11:30:00Z"));
    expect(of(s, "beat", "started").map((r) => r.at)).toEqual(["2026-04-14T11:00:00.000Z"]);
  });

  it("changing a cron keeps the watermark and never re-runs the tick that just ran", async () => {
    const s = await simulate("2026-04-14T09:58:00Z", [cronJob("*/5 * * * *")]);
    s.advanceTo(ms("2026-04-14T10:05:00Z"));
    expect(s.deploy({ manifest: manifestOf(cronJob("*/15 * * * *")) }).changes[0]?.status).toBe("updated");
    s.advanceTo(ms("2026-04-14T10:20:00Z"));
    expect(of(s, "ingest", "started").map((r) => [r.at.slice(11, 16), r.interval_start?.slice(11, 16), r.interval_end?.slice(11, 16)])).toEqual([
      ["10:00", "09:55", "10:00"],
      ["10:05", "10:00", "10:05"],
      ["10:15", "10:05", "10:15"],
    ]);
  });

  it("an archived job stops firing, keeps its history, and comes back without a burst", async () => {
    const other = batchJob("other");
    const s = await simulate("2026-04-14T09:58:00Z", [cronJob("*/5 * * * *"), other]);
    s.advanceTo(ms("2026-04-14T10:01:00Z"));
    expect(s.deploy({ manifest: manifestOf(other) }).changes).toContainEqual({ jobRef: "jobs.mod.ingest", status: "archived" });
    s.advanceTo(ms("2026-04-14T12:00:00Z"));
    expect(of(s, "ingest", "started")).toHaveLength(1);
    expect(() => triggerJobs(s.scheduler, ["ingest"])).toThrow(/No deployed job 'ingest'/);
    expect(s.deploy({ manifest: manifestOf(cronJob("*/5 * * * *"), other) }).changes).toContainEqual({ jobRef: "jobs.mod.ingest", status: "added", revived: true });
    s.advanceTo(ms("2026-04-14T12:11:00Z"));
    expect(of(s, "ingest", "started").map((r) => [r.at.slice(11, 16), r.interval_start?.slice(11, 16), r.refresh])).toEqual([
      ["10:00", "09:55", true],
      ["12:05", "10:00", false],
      ["12:10", "12:05", false],
    ]);
    expect(s.scheduler.store.runsOfJob("jobs.mod.ingest")).toHaveLength(3);
  });

  it("deployment: triggers fire after a deploy that changed something", async () => {
    const job = batchJob("migrate", { triggers: ["deployment:"] });
    const s = await simulate("2026-04-14T10:00:00Z", [job]);
    s.deploy({ manifest: manifestOf(job) });
    s.advanceTo(ms("2026-04-14T10:10:00Z"));
    s.deploy({ manifest: manifestOf(job, batchJob("new")) });
    expect(of(s, "migrate", "started").map((r) => r.at)).toEqual(["2026-04-14T10:00:00.000Z", "2026-04-14T10:10:00.000Z"]);
  });
});

describe("interactive jobs", () => {
  it("start on demand with their http: trigger, one at a time, and get no run-time timeout (idle timeout)", async () => {
    const s = await simulate("2026-04-14T10:00:00Z", USGS_MANIFEST.jobs, { runDurationMs: 5 * 3600_000 });
    triggerJobs(s.scheduler, ["usgs_dashboard"]);
    triggerJobs(s.scheduler, ["http:*"]);
    s.advanceTo(ms("2026-04-14T14:00:00Z"));
    const dashboard = of(s, "usgs_dashboard").map((r) => [r.event, r.trigger, r.interval_start]);
    expect(dashboard).toEqual([
      ["started", "http:", "2026-04-14T10:00:00.000Z"],
      ["queued", "http:", null],
    ]);
    expect(of(s, "dashboard", "started")).toHaveLength(1);
    expect(s.records.filter((r) => r.event === "timed_out").map((r) => r.job)).not.toContain("usgs_dashboard");
    expect(s.records.filter((r) => r.event === "timed_out").map((r) => r.job)).toContain("clock");
  });
});

describe("isolation and visibility", () => {
  it("an executor that throws for one job fails that run only; the others keep running", async () => {
    const clock = new ManualClock(ms("2026-04-14T09:59:00Z"));
    const sim = new SimulatedExecutor(clock, { runDurationMs: 1000 });
    const scheduler = new Scheduler({
      clock,
      store: new SchedulerStore(openDatabase(":memory:")),
      executor: {
        start: (spec) => {
          if (spec.jobRef === "jobs.mod.broken") throw new Error("image missing");
          return sim.start(spec);
        },
      },
    });
    const errors: string[] = [];
    scheduler.events.on("run:finished", ({ run }) => errors.push(`${run.jobRef}:${run.status}:${run.reason}`));
    await scheduler.start();
    scheduler.deploy({ manifest: manifestOf(batchJob("broken", { triggers: ["schedule:* * * * *"] }), batchJob("fine", { triggers: ["schedule:* * * * *"] })) });
    clock.set(ms("2026-04-14T10:00:00Z"));
    clock.set(ms("2026-04-14T10:00:05Z"));
    expect(errors).toEqual([
      "jobs.mod.broken:failed:executor could not start the run: image missing",
      "jobs.mod.fine:completed:null",
    ]);
  });

  it("a held run says which upstream holds it and since when", async () => {
    const s = await simulate("2026-04-14T09:58:00Z", USGS_MANIFEST.jobs);
    s.advanceTo(ms("2026-04-14T10:04:00Z"));
    const held = s.scheduler.waiting().find((w) => w.jobRef === "jobs.usgs_pipeline.usgs_daily" && w.kind === "freshness");
    expect(held?.reason).toMatch(/held by freshness: .*backfill_usgs didn't process any intervals yet/);
    expect(held?.sinceMs).toBe(ms("2026-04-14T10:00:00Z"));
  });

  it("previews the next fire times in the job's timezone", async () => {
    const s = await simulate("2026-03-29T00:50:00Z", [batchJob("b", { triggers: ["schedule:30 2 * * *"], require: { timezone: "Europe/Berlin" } })]);
    expect(s.scheduler.preview("jobs.mod.b", 2).map((p) => [p.utc, p.local])).toEqual([
      ["2026-03-29T01:30:00.000Z", "2026-03-29T03:30:00.000+02:00"],
      ["2026-03-30T00:30:00.000Z", "2026-03-30T02:30:00.000+02:00"],
    ]);
  });
});

/** A five-minute cron job ("tick") deployed at 10:00 on a ManualClock (timers firing up to `earlyMs` early), runs taking 1 s. */
async function tickEveryFiveMinutes(earlyMs = 0): Promise<{ clock: ManualClock; executor: SimulatedExecutor; scheduler: Scheduler }> {
  const clock = new ManualClock(ms("2026-04-14T10:00:00Z"), earlyMs);
  const executor = new SimulatedExecutor(clock, { runDurationMs: 1000 });
  const scheduler = new Scheduler({ clock, store: new SchedulerStore(openDatabase(":memory:")), executor });
  await scheduler.start();
  scheduler.deploy({ manifest: manifestOf(batchJob("tick", { triggers: ["schedule:*/5 * * * *"] })) });
  return { clock, executor, scheduler };
}

/**
 * A clock that can be set to any instant, backwards included; due timers fire on set().
 * With `earlyMs`, each timer instant fires once up to that much too early (as setTimeout may).
 */
class ManualClock implements Clock {
  private timers: Array<{ atMs: number; fn: () => void; live: boolean }> = [];
  private firedEarly = new Set<number>();
  constructor(
    private current: number,
    private readonly earlyMs = 0,
  ) {}
  now(): number {
    return this.current;
  }
  setTimer(atMs: number, fn: () => void): TimerHandle {
    const timer = { atMs, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }
  set(ms: number): void {
    this.current = ms;
    for (;;) {
      const due = this.timers
        .filter((t) => t.live && (t.atMs <= ms || (t.atMs - this.earlyMs <= ms && !this.firedEarly.has(t.atMs))))
        .sort((a, b) => a.atMs - b.atMs)[0];
      if (!due) break;
      if (due.atMs > ms) this.firedEarly.add(due.atMs);
      due.live = false;
      due.fn();
    }
  }
}
