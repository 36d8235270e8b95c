/** The scheduler-facing adapter around a real executor (local subprocesses of a tiny launcher). */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SystemClock } from "../core/index.js";
import { createLocalExecutor } from "../runner/executors/local-executor.js";
import { createSchedulerExecutor } from "../runner/executors/scheduler-executor.js";
import type { RunOutcome } from "../runner/executors/supervisor.js";
import { createLogStore } from "../runner/logs/index.js";
import { openDatabase } from "../core/index.js";
import { Scheduler, SchedulerStore, triggerJobs, type RunExit, type RunSpec } from "../runner/scheduler/index.js";
import { createSecretStore } from "../runner/secrets/index.js";

const SCRIPT = `
import argparse, json, signal, sys, time
p = argparse.ArgumentParser()
for name in ("--run-id", "--trigger", "--entry-point"):
    p.add_argument(name, required=True)
a = p.parse_args()
e = json.loads(a.entry_point)
print("window", e["interval_start"], e["interval_end"], e["interval_timezone"], "refresh", e["refresh"], flush=True)
signal.signal(signal.SIGTERM, lambda *_: print("term", flush=True))
if e["function"] == "quick":
    sys.exit(0)
while True:
    time.sleep(0.05)
`;

describe("scheduler executor adapter", () => {
  it("starts runs from the scheduler's RunSpec and reports exits through onExit and done", async () => {
    const home = mkdtempSync(join(tmpdir(), "sluice-sched-"));
    const ws = join(home, "ws");
    mkdirSync(ws);
    writeFileSync(join(ws, "fake_launcher.py"), SCRIPT);
    const clock = new SystemClock();
    const logStore = createLogStore({ dir: join(home, "logs") });
    const outcomes: RunOutcome[] = [];
    const executor = createSchedulerExecutor({
      executor: createLocalExecutor({ clock, logStore, pythonFor: () => "python3", enforceTimeouts: false }),
      clock,
      context: { secretStore: createSecretStore(join(home, "secrets")), dataRoot: join(home, "data") },
      workspaceOf: () => ({ name: "ws", dir: ws }),
      onOutcome: (outcome) => outcomes.push(outcome),
    });
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
    while (logStore.read("s-slow").lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
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
    const home = mkdtempSync(join(tmpdir(), "sluice-sched-real-"));
    const ws = join(home, "ws");
    mkdirSync(ws);
    writeFileSync(join(ws, "fake_launcher.py"), SCRIPT);
    const clock = new SystemClock();
    const logStore = createLogStore({ dir: join(home, "logs") });
    const scheduler = new Scheduler({
      clock,
      store: new SchedulerStore(openDatabase(join(home, "state.db"))),
      executor: createSchedulerExecutor({
        executor: createLocalExecutor({ clock, logStore, pythonFor: () => "python3", enforceTimeouts: false }),
        clock,
        context: { secretStore: createSecretStore(join(home, "secrets")), dataRoot: join(home, "data") },
        workspaceOf: () => ({ name: "ws", dir: ws }),
      }),
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
    const { run } = await finished;
    scheduler.stop();
    expect(run).toMatchObject({ status: "cancelled", cancelCause: "timeout" });
    const lines = logStore.read(run.runId).lines.map((line) => line.text);
    expect(lines.filter((line) => line === "term")).toHaveLength(1);
    expect(lines.filter((line) => line.includes("sending SIGTERM"))).toHaveLength(1);
  });
});
