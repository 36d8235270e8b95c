/** The scheduler-facing adapter around a real executor (local subprocesses of a tiny launcher). */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLocalExecutor } from "../runner/executors/local-executor.js";
import { createSchedulerExecutor } from "../runner/executors/scheduler-executor.js";
import type { RunOutcome } from "../runner/executors/supervisor.js";
import { openDatabase } from "../core/index.js";
import { Scheduler, SchedulerStore, triggerJobs, type RunExit, type RunSpec } from "../runner/scheduler/index.js";
import { fakeLauncher } from "./support/fake-launcher.js";
import { createRunHome } from "./support/run-home.js";
import { delay, within } from "./support/wait.js";
import { writeFiles } from "./support/workspaces.js";

const SCRIPT = fakeLauncher(`
import signal, sys, time
print("window", entry["interval_start"], entry["interval_end"], entry["interval_timezone"], "refresh", entry["refresh"], flush=True)
signal.signal(signal.SIGTERM, lambda *_: print("term", flush=True))
if entry["function"] == "quick":
    sys.exit(0)
while True:
    time.sleep(0.05)
`);

/** A temp home with the fake launcher in workspace `ws`, and the scheduler's executor over a local executor (the scheduler owns the timeouts). */
function setup(prefix: string) {
  const runHome = createRunHome(prefix);
  const { home, clock, logStore, context } = runHome;
  const ws = join(home, "ws");
  writeFiles(ws, { "fake_launcher.py": SCRIPT });
  const schedulerExecutor = (onOutcome?: (outcome: RunOutcome) => void) =>
    createSchedulerExecutor({
      executor: createLocalExecutor({ clock, logStore, pythonFor: () => "python3", enforceTimeouts: false }),
      clock,
      context,
      workspaceOf: () => ({ name: "ws", dir: ws }),
      ...(onOutcome ? { onOutcome } : {}),
    });
  return { ...runHome, schedulerExecutor };
}

describe("scheduler executor adapter", () => {
  it("starts runs from the scheduler's RunSpec and reports exits through onExit and done", async () => {
    const { logStore, schedulerExecutor } = setup("sluice-sched-");
    const outcomes: RunOutcome[] = [];
    const executor = schedulerExecutor((outcome) => outcomes.push(outcome));
    const spec = (runId: string, fn: string): RunSpec => ({
      runId,
      jobRef: `jobs.fake.${fn}`,
      trigger: "schedule:0 3 * * *",
      refresh: true,
      intervalStartMs: Date.parse("2026-05-25T03:00:00Z"),
      intervalEndMs: Date.parse("2026-05-26T03:00:00Z"),
      intervalTimezone: "Europe/Berlin",
      job: { job_ref: `jobs.fake.${fn}`, entry_point: { module: "fake", function: fn, job_type: "batch", launcher: "fake_launcher" }, require: { timezone: "Europe/Berlin" } },
    });

    const quick = await executor.start(spec("s-quick", "quick"));
    const viaCallback = new Promise<RunExit>((resolve) => quick.onExit(resolve));
    expect(await quick.done).toEqual({ exitCode: 0, killed: false });
    expect(await viaCallback).toEqual({ exitCode: 0, killed: false });
    expect(logStore.read("s-quick").lines[0]?.text).toBe("window 2026-05-25T03:00:00+00:00 2026-05-26T03:00:00+00:00 Europe/Berlin refresh True");

    const slow = await executor.start(spec("s-slow", "slow"));
    while (logStore.read("s-slow").lines.length === 0) await delay(20);
    slow.stop(300);
    const exit = await slow.done;
    expect(exit.killed).toBe(true);
    expect(exit.exitCode).toBeNull();
    expect(logStore.read("s-slow").lines.filter((line) => line.text === "term")).toHaveLength(1);
    expect(outcomes.map((o) => o.runId)).toEqual(["s-quick", "s-slow"]);
  });
});

describe("scheduler with the local executor", () => {
  it("enforces execute.timeout through the real scheduler: one SIGTERM, SIGKILL after grace, run cancelled(timeout)", async () => {
    const { home, clock, logStore, schedulerExecutor } = setup("sluice-sched-real-");
    const scheduler = new Scheduler({
      clock,
      store: new SchedulerStore(openDatabase(join(home, "state.db"))),
      executor: schedulerExecutor(),
    });
    await scheduler.start();
    scheduler.deploy({
      manifest: {
        jobs: [
          {
            job_ref: "jobs.fake.slow",
            entry_point: { module: "fake", function: "slow", job_type: "batch", launcher: "fake_launcher" },
            triggers: [],
            expose: { manual: true },
            execute: { timeout: { timeout: 1, grace_period: 1 }, concurrency: 1 },
          },
        ],
      },
    });
    const finished = scheduler.events.waitFor("run:finished");
    triggerJobs(scheduler, ["jobs.fake.slow"]);
    const { run } = await within(finished, "the slow run to finish");
    scheduler.stop();
    expect(run).toMatchObject({ status: "cancelled", cancelCause: "timeout" });
    const lines = logStore.read(run.runId).lines.map((line) => line.text);
    expect(lines.filter((line) => line === "term")).toHaveLength(1);
    expect(lines.filter((line) => line.includes("sending SIGTERM"))).toHaveLength(1);
  });
});
