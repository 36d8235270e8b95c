/**
 * kill -9 of `sluice up` at each crash point (core/crash-point.ts, `SLUICE_CRASH_AT`), then a
 * restart without it: one run record per trigger with its right final status, each log line
 * stored once, the watermark advanced once, no run container left behind, and a deployment cut
 * short by the crash applied exactly once by the next deploy (docs/reliability.md).
 * Real `sluice up` child processes, Docker and dlt (the fruitshop environment).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunView } from "../../cli/daemon/runtime-types.js";
import { DaemonProcess, waitUntil } from "../daemon-e2e-support.js";
import { copyFixtureWorkspace, writeFiles } from "../support/workspaces.js";

const LINES = 6;
const COUNTER = `
import time
import dlt.hub.run as run

@run.job
def count_briefly():
    for n in range(1, ${LINES + 1}):
        print(f"line {n}", flush=True)
        time.sleep(0.4)


@run.job(trigger=count_briefly.success)
def after_count():
    print("follow-up ran", flush=True)
`;
const CONFIG = "api: { port: 0 }\nproxy: { port: 0 }\nruns: { network: none }\n";
const EXPECTED = Array.from({ length: LINES }, (_, i) => `line ${i + 1}`);
const JOB = "count_briefly";

let root: string;
let dir: string;
let daemon: DaemonProcess;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "sluice-crash-"));
  daemon = new DaemonProcess(join(root, "home"));
  dir = join(root, "counter");
  copyFixtureWorkspace("fruitshop", dir);
  writeFiles(dir, { "counter_jobs.py": COUNTER, "__deployment__.py": "from counter_jobs import after_count, count_briefly\n\n__all__ = ['count_briefly', 'after_count']\n" });
  await daemon.start(CONFIG);
  const deployed = await daemon.cli("deploy", dir);
  expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
}, 900_000);

afterAll(async () => {
  await daemon?.stop();
  daemon?.removeContainers();
  if (root) rmSync(root, { recursive: true, force: true });
});

function storedLines(runId: string): Array<{ s: string; l: string }> {
  const file = join(daemon.home, "logs", `${runId}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((row) => row.startsWith('{"q"'))
    .map((row) => JSON.parse(row) as { s: string; l: string });
}

const outputLines = (runId: string) => storedLines(runId).filter((r) => r.s === "stdout" && /^line \d+$/.test(r.l)).map((r) => r.l);

/**
 * This home's run containers (any state), by the instance label (cli/compose/run-starter.ts) and
 * the run name (a warm container that became a run was renamed to it; idle warm ones are not runs).
 */
function containers(): string[] {
  const instance = createHash("sha256").update(daemon.home).digest("hex").slice(0, 16);
  const out = execFileSync("docker", ["ps", "-aq", "--filter", `label=sluice.instance=${instance}`, "--filter", "name=^sluice-run-"], { encoding: "utf8" });
  return out.split("\n").filter(Boolean);
}

/** The job's watermark as the scheduler stored it (sched_jobs.watermark_ms), read straight from SQLite. */
function watermark(): number | null {
  const db = new Database(join(daemon.home, "sluice.db"), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare("SELECT watermark_ms AS ms FROM sched_jobs WHERE job_ref LIKE ?").get(`%.${JOB}`) as { ms: number | null } | undefined;
    return row?.ms ?? null;
  } finally {
    db.close();
  }
}

const runs = () => daemon.json<RunView[]>("runs", JOB, "--limit", "100");
const FOLLOWER = "after_count";
const followUps = () => daemon.json<RunView[]>("runs", FOLLOWER, "--limit", "100");

const settled = (runId: string) => daemon.settledRun(JOB, runId, 120_000);

/**
 * Starts the daemon with `SLUICE_CRASH_AT=<step>`, runs `action` (which the crash may cut short),
 * waits until the process died by SIGKILL, then starts it again without the variable.
 */
async function crashThenRestart(step: string, action: () => Promise<unknown>): Promise<void> {
  await daemon.stop();
  await daemon.start(CONFIG, 60_000, { SLUICE_CRASH_AT: step });
  const acting = action();
  expect(await daemon.waitExit(180_000)).toBe("SIGKILL");
  await acting;
  rmSync(join(daemon.home, "daemon.json"), { force: true });
  await daemon.start(CONFIG);
}

/** Crashes at `step` during a triggered run; returns the one run record the trigger made, settled. */
async function crashDuringRun(step: string): Promise<RunView> {
  const before = new Set((await runs()).map((r) => r.runId));
  await crashThenRestart(step, () => daemon.cli("trigger", JOB));
  const created = (await runs()).filter((r) => !before.has(r.runId));
  expect(created.map((r) => r.runId)).toHaveLength(1);
  return settled(created[0]?.runId ?? "");
}

async function noContainersLeft(): Promise<void> {
  await waitUntil(() => containers().length === 0, 30_000, () => `run containers left: ${containers().join(", ")}`);
}

/** The crashed run moved the watermark to its window's end once: a second run moves it on to its own end. */
async function watermarkAdvancedOnce(previous: RunView): Promise<void> {
  expect(previous.intervalEnd).not.toBeNull();
  expect(watermark()).toBe(Date.parse(previous.intervalEnd ?? ""));
  const before = new Set((await runs()).map((r) => r.runId));
  const triggered = await daemon.cli("trigger", JOB);
  expect(triggered.code, triggered.stderr).toBe(0);
  const created = (await runs()).filter((r) => !before.has(r.runId));
  expect(created).toHaveLength(1);
  const next = await settled(created[0]?.runId ?? "");
  expect(next.status).toBe("completed");
  expect(Date.parse(next.intervalEnd ?? "")).toBeGreaterThan(Date.parse(previous.intervalEnd ?? ""));
  expect(watermark()).toBe(Date.parse(next.intervalEnd ?? ""));
}

describe("kill -9 of the daemon during a run, then a restart", () => {
  it("after the run record is written and before its container exists: the one record ends cancelled as lost, the watermark unchanged, no container left", async () => {
    const mark = watermark();
    const run = await crashDuringRun("run-recorded");
    expect(run.status, JSON.stringify(run)).toBe("cancelled");
    expect(run.reason).toMatch(/^lost: /);
    expect(outputLines(run.runId)).toEqual([]);
    expect(watermark()).toBe(mark);
    await noContainersLeft();
  }, 600_000);

  it("after the container was created and before it started: the one record ends cancelled as lost (not 'exit code 0'), the watermark unchanged, the never-started container removed", async () => {
    const mark = watermark();
    const run = await crashDuringRun("container-created");
    expect(run.status, JSON.stringify(run)).toBe("cancelled");
    expect(run.reason).toMatch(/^lost: /);
    expect(outputLines(run.runId)).toEqual([]);
    expect(watermark()).toBe(mark);
    await noContainersLeft();
  }, 600_000);

  it("right after the run is recorded running: the container is re-attached, the run completes with exit 0, each line stored once, the container removed, the watermark advanced once", async () => {
    const run = await crashDuringRun("run-running");
    expect(run.status, JSON.stringify(run)).toBe("completed");
    expect(run.exitCode).toBe(0);
    expect(outputLines(run.runId)).toEqual(EXPECTED);
    await noContainersLeft();
    await watermarkAdvancedOnce(run);
  }, 600_000);

  it("just after a log line was written: the run completes with exit 0, each line stored once, the watermark advanced once", async () => {
    const run = await crashDuringRun("log-append:4");
    expect(run.status, JSON.stringify(run)).toBe("completed");
    expect(run.exitCode).toBe(0);
    expect(outputLines(run.runId)).toEqual(EXPECTED);
    await noContainersLeft();
    await watermarkAdvancedOnce(run);
  }, 600_000);

  it("when the run's exit arrived but before its outcome was recorded: the ended container is found: one record, completed with exit 0, each line once, the watermark advanced once", async () => {
    const run = await crashDuringRun("run-finishing");
    expect(run.status, JSON.stringify(run)).toBe("completed");
    expect(run.exitCode).toBe(0);
    expect(outputLines(run.runId)).toEqual(EXPECTED);
    await noContainersLeft();
    await watermarkAdvancedOnce(run);
  }, 600_000);

  it("after the outcome was recorded, before the container was removed and the follow-up dispatched: one record, completed with exit 0, each line once, the left-over container removed, the job.success follow-up run once at the next start", async () => {
    const followersBefore = new Set((await followUps()).map((r) => r.runId));
    const run = await crashDuringRun("run-finished");
    expect(run.status, JSON.stringify(run)).toBe("completed");
    expect(run.exitCode).toBe(0);
    expect(watermark()).toBe(Date.parse(run.intervalEnd ?? ""));
    await noContainersLeft();
    // the next start did find the ended container (and read no line twice from it)
    expect(storedLines(run.runId).map((r) => r.l)).toContain("sluice: the run's container ended while Sluice was down (exited)");
    expect(outputLines(run.runId)).toEqual(EXPECTED);
    const newFollowers = async () => (await followUps()).filter((r) => !followersBefore.has(r.runId));
    await waitUntil(async () => (await newFollowers()).some((r) => r.status === "completed"), 120_000, () => `no follow-up run completed\n${daemon.output.slice(-3000)}`);
    const followers = await newFollowers();
    expect(followers.map((r) => [r.trigger, r.status])).toEqual([[expect.stringMatching(/^job\.success:.*count_briefly$/), "completed"]]);
    await noContainersLeft();
  }, 600_000);
});

describe("kill -9 of the daemon during a deploy, then a restart", () => {
  for (const step of ["manifest-generation", "diff-before-apply"]) {
    it(`at ${step}: the new job is not deployed after the restart, the next deploy applies it exactly once (version + 1) and no run starts`, async () => {
      const extra = `extra_${step.replaceAll("-", "_")}`;
      const runsBefore = (await runs()).length;
      const current = await daemon.json<{ version: number; changed: boolean }>("deploy", dir);
      expect(current.changed).toBe(false);
      const jobs = readFileSync(join(dir, "__deployment__.py"), "utf8").match(/'\w+'/g)?.join(", ") ?? "";
      writeFiles(dir, {
        [`${extra}.py`]: `import dlt.hub.run as run\n\n@run.job\ndef ${extra}():\n    print("extra", flush=True)\n`,
        "__deployment__.py": readFileSync(join(dir, "__deployment__.py"), "utf8").split("\n__all__")[0] + `from ${extra} import ${extra}\n\n__all__ = [${jobs}, '${extra}']\n`,
      });
      await crashThenRestart(step, () => daemon.cli("deploy", dir));
      const listed = await daemon.cli("job", "list", "--output", "json");
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).not.toContain(extra);
      const redeployed = await daemon.json<{ version: number; changed: boolean }>("deploy", dir);
      expect(redeployed.changed).toBe(true);
      expect(redeployed.version).toBe(current.version + 1);
      expect((await daemon.cli("job", "list", "--output", "json")).stdout).toContain(extra);
      expect(await runs()).toHaveLength(runsBefore);
    }, 600_000);
  }
});
