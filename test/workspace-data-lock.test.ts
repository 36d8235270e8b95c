/**
 * The workspace data gate (docs/workspaces.md, "What `access` sees, and the data lock"): batch
 * runs of one workspace+profile start one at a time, in arrival order, with the wait in the run's
 * log, so two runs writing the same DuckDB file never meet on its lock. Through the daemon's run
 * starter with real containers and dlt, and through the real scheduler, where a run's timeout
 * counts from its process start, not from the time it spent waiting.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRunStarter, type RunStarter } from "../cli/compose/run-starter.js";
import { openDatabase, silentLogger } from "../core/index.js";
import { JAFFLE_COUNTS } from "../fixtures/fake-sources/index.js";
import { createLocalExecutor, createSchedulerExecutor, createWorkspaceData, Launcher, type PreparedRun, type SupervisedRun } from "../runner/executors/index.js";
import { Scheduler, SchedulerStore, triggerJobs, type RunRecord } from "../runner/scheduler/index.js";
import { fakeLauncher } from "./support/fake-launcher.js";
import { createFixtureRuntime, type DeployedWorkspace, type FixtureRuntime } from "./support/fixture-runtime.js";
import { createRunHome } from "./support/run-home.js";
import { delay, waitUntil, within } from "./support/wait.js";
import { writeFiles } from "./support/workspaces.js";

describe("two batch runs of one workspace writing the same DuckDB file", () => {
  let runtime: FixtureRuntime;
  let jaffle: DeployedWorkspace;
  let starter: RunStarter;
  const starters: RunStarter[] = [];

  beforeAll(async () => {
    runtime = await createFixtureRuntime();
    jaffle = await runtime.deploy("jaffle");
    starter = await createRunStarter({
      kind: "docker",
      clock: runtime.clock,
      logStore: runtime.logStore,
      secretStore: runtime.secretStore,
      home: runtime.home,
      network: "host",
      env: { RUNTIME__DLTHUB_TELEMETRY: "false" },
      logger: silentLogger,
    });
    starters.push(starter);
  });

  afterAll(async () => {
    // both starters' idle warm run containers go with them (else they stay, exited, on the engine)
    for (const each of starters) await each.detach();
    await runtime?.close();
  });

  it("started at the same instant, both complete: the second waits for the first (logged) and its container starts after the first ended", async () => {
    const job = jaffle.job("jobs.jaffle_ingestion.ingest_jaffle");
    const runs = [runtime.prepare(jaffle, job, { trigger: "schedule:0 * * * *" }), runtime.prepare(jaffle, job, { trigger: "manual:jobs.jaffle_ingestion.ingest_jaffle" })];
    const [first, second] = await Promise.all(runs.map(async (run) => (await starter.start(run)).outcome));
    const [a, b] = runs.map((run) => run.runId) as [string, string];
    expect(first!.status, runtime.logText(a)).toBe("completed");
    expect(second!.status, runtime.logText(b)).toBe("completed");
    expect(runtime.logText(a)).not.toContain("waiting for");
    expect(runtime.logText(b)).toContain(`sluice: waiting for jaffle/prod data: run ${a} is writing`);
    expect(runtime.logText(b)).not.toContain("Could not set lock");
    expect(second!.startedMs).toBeGreaterThanOrEqual(first!.endedMs);
    const [[customers]] = (await runtime.query(jaffle, "prod", "jaffleshop_destination.duckdb", "SELECT count(DISTINCT id) FROM jaffle_raw.customers")) as [[number]];
    expect(customers).toBe(JAFFLE_COUNTS.customers);
  });

  it("after a restart, a new run starter adopts a writer that is still running and a new run of its workspace+profile waits for it", async () => {
    writeFiles(jaffle.dir, { "slow_writer.py": "import time\nprint('slow writer up', flush=True)\ntime.sleep(8)\nprint('slow writer done', flush=True)\n" });
    const slow = runtime.prepare(jaffle, { job_ref: "jobs.slow_writer", entry_point: { module: "slow_writer", function: null, job_type: "batch", launcher: Launcher.module } });
    const slowRun = await starter.start(slow);
    await waitUntil(() => runtime.logText(slow.runId).includes("slow writer up"), "the slow writer's first line", 60_000);

    // a daemon restart: another starter on the same home adopts the running container
    const restarted = await createRunStarter({ kind: "docker", clock: runtime.clock, logStore: runtime.logStore, secretStore: runtime.secretStore, home: runtime.home, network: "host", env: { RUNTIME__DLTHUB_TELEMETRY: "false" }, logger: silentLogger });
    starters.push(restarted);
    await restarted.recover();
    const ingest = runtime.prepare(jaffle, jaffle.job("jobs.jaffle_ingestion.ingest_jaffle"));
    const outcome = await (await restarted.start(ingest)).outcome;
    expect(outcome.status, runtime.logText(ingest.runId)).toBe("completed");
    expect(runtime.logText(ingest.runId)).toContain(`sluice: waiting for jaffle/prod data: run ${slow.runId} is writing`);
    const slowOutcome = await within(slowRun.outcome, "the end of slowRun");
    expect(slowOutcome.status).toBe("completed");
    expect(outcome.startedMs).toBeGreaterThanOrEqual(slowOutcome.endedMs - 1000);
    restarted.releaseUnclaimed();
  });
});

const SCRIPT = fakeLauncher(`
import time
print("start", entry["function"], flush=True)
time.sleep(3 if entry["function"] == "hold" else 1)
print("done", entry["function"], flush=True)
`);

type Starter = { start(run: PreparedRun): Promise<SupervisedRun> };

/** The real scheduler over the gated local executor (wrapped by `wrap`), for a workspace holding SCRIPT. */
async function gatedScheduler(prefix: string, wrap: (local: Starter) => Starter = (local) => local) {
  const { home, clock, logStore, context } = createRunHome(prefix);
  const ws = join(home, "ws");
  writeFiles(ws, { "fake_launcher.py": SCRIPT });
  const local = createLocalExecutor({ clock, logStore, pythonFor: () => "python3", enforceTimeouts: false });
  const gated = createWorkspaceData({ inner: wrap(local), dataRoot: context.dataRoot, logStore, clock });
  const scheduler = new Scheduler({
    clock,
    store: new SchedulerStore(openDatabase(join(home, "state.db"))),
    executor: createSchedulerExecutor({ executor: gated, clock, context, workspaceOf: () => ({ name: "ws", dir: ws }) }),
  });
  await scheduler.start();
  return { scheduler, logStore };
}

const job = (fn: string, timeout: number) => ({
  job_ref: `jobs.fake.${fn}`,
  entry_point: { module: "fake", function: fn, job_type: "batch", launcher: "fake_launcher" },
  triggers: [],
  expose: { manual: true },
  execute: { timeout: { timeout, grace_period: 1 }, concurrency: 1 },
});

/** Triggers `first`, then `second` once `first` runs; resolves with the started and finished records once both ended. */
async function oneWhileTheOtherWrites(scheduler: Scheduler, first: string, second: string) {
  const started: RunRecord[] = [];
  const finished: RunRecord[] = [];
  scheduler.events.on("run:started", ({ run }) => void started.push(run));
  scheduler.events.on("run:finished", ({ run }) => void finished.push(run));
  try {
    triggerJobs(scheduler, [first]);
    await waitUntil(() => started.length === 1, `${first} to start`, 30_000);
    triggerJobs(scheduler, [second]);
    await waitUntil(() => finished.length === 2, "both runs to finish", 30_000);
  } finally {
    scheduler.stop();
  }
  return { started, finished };
}

describe("the data gate under the real scheduler", () => {
  it("a run that waited 3 s for the gate completes within its 2 s timeout: the timeout counts from its process start", async () => {
    const { scheduler, logStore } = await gatedScheduler("sluice-gate-");
    scheduler.deploy({ manifest: { jobs: [job("hold", 30), job("quick", 2)] } });
    const { finished } = await oneWhileTheOtherWrites(scheduler, "jobs.fake.hold", "jobs.fake.quick");
    const quick = finished.find((run) => run.jobRef === "jobs.fake.quick")!;
    const hold = finished.find((run) => run.jobRef === "jobs.fake.hold")!;
    expect(hold).toMatchObject({ status: "completed" });
    expect(quick, logStore.read(quick.runId).lines.map((line) => line.text).join("\n")).toMatchObject({ status: "completed" });
    const lines = logStore.read(quick.runId).lines.map((line) => line.text);
    expect(lines[0]).toBe(`sluice: waiting for ws/prod data: run ${hold.runId} is writing`);
    expect(lines).toContain("done quick");
    expect(quick.startedMs!).toBeGreaterThanOrEqual(hold.finishedMs!);
  });

  it("the next writer starts when the previous writer's process ends, not when its executor's cleanup (2 s here) is done", async () => {
    // an executor whose cleanup after the process (a container's removal) takes 2 s before `outcome` settles
    const { scheduler, logStore } = await gatedScheduler("sluice-gate-cleanup-", (local) => ({
      async start(run) {
        const supervised = await local.start(run);
        return { ...supervised, outcome: supervised.outcome.then(async (outcome) => (await delay(2_000), outcome)) };
      },
    }));
    scheduler.deploy({ manifest: { jobs: [job("first", 30), job("second", 30)] } });
    const { started, finished } = await oneWhileTheOtherWrites(scheduler, "jobs.fake.first", "jobs.fake.second");
    const first = finished.find((run) => run.jobRef === "jobs.fake.first")!;
    const second = started.find((run) => run.jobRef === "jobs.fake.second")!;
    expect(logStore.read(second.runId).lines[0]?.text).toBe(`sluice: waiting for ws/prod data: run ${first.runId} is writing`);
    expect(second.startedMs!).toBeGreaterThanOrEqual(first.finishedMs!);
    expect(second.startedMs! - first.finishedMs!).toBeLessThan(1_500);
  });
});
