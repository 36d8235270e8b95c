/**
 * The local executor with real processes: a tiny Python "launcher" module in a temp workspace
 * stands in for the job (the subject here is the process contract and the stop sequence, not dlt).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLocalExecutor } from "../runner/executors/local-executor.js";
import { prepareRun } from "../runner/executors/prepare-run.js";
import type { RunnableJob } from "../runner/executors/job-shape.js";
import { fakeLauncher } from "./support/fake-launcher.js";
import { createRunHome } from "./support/run-home.js";
import { waitUntil, within } from "./support/wait.js";
import { writeFiles } from "./support/workspaces.js";

const SCRIPT = fakeLauncher(`
import os, signal, sys, time
mode = entry["config"]["mode"]
print("run", args.run_id, args.trigger, "profile", entry["profile"], os.environ.get("WORKSPACE__PROFILE"), os.environ.get("PYTHONUNBUFFERED"))
print("data", os.environ.get("DLT_DATA_DIR"), os.environ.get("DLT_LOCAL_DIR"))
print("secret file:", open(".dlt/prod.secrets.toml").read().strip() if os.path.exists(".dlt/prod.secrets.toml") else "none")
def on_term(signum, frame):
    print("got SIGTERM", time.time(), flush=True)
    if mode == "clean":
        sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
if mode == "fail":
    print("failing", file=sys.stderr)
    sys.exit(3)
if mode == "quick":
    sys.exit(0)
if mode == "which":
    import shutil
    print("tool", shutil.which("sluice-venv-tool"), "venv", os.environ.get("VIRTUAL_ENV"))
    sys.exit(0)
while True:
    time.sleep(0.05)
`);

function makeWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "sluice-local-ws-"));
  mkdirSync(join(dir, ".dlt"));
  writeFiles(dir, { "fake_launcher.py": SCRIPT });
  return dir;
}

function setup(timeoutSeconds: number, graceSeconds: number, python = "python3") {
  const { home, clock, secretStore, logStore, context } = createRunHome("sluice-local-home-");
  const workspaceDir = makeWorkspace();
  const executor = createLocalExecutor({ clock, logStore, pythonFor: () => python });
  const job: RunnableJob = {
    job_ref: "jobs.fake.job",
    entry_point: { module: "fake", function: "job", job_type: "batch", launcher: "fake_launcher" },
    execute: { timeout: { timeout: timeoutSeconds, grace_period: graceSeconds } },
  };
  const start = (runId: string, mode: string) =>
    executor.start(prepareRun(job, { name: "ws", dir: workspaceDir }, { runId, trigger: "manual:jobs.fake.job", refresh: false, config: { mode } }, context, clock.now()));
  return { home, workspaceDir, secretStore, logStore, start };
}

describe("local executor", () => {
  it("runs the launcher contract, stores logs with secrets masked, maps a non-zero exit to failed, reports its process as where it ran", async () => {
    const { secretStore, logStore, start, workspaceDir, home } = setup(60, 5);
    secretStore.set("ws", "prod", 'token = "tok_abcdef123"\n');
    const run = await start("run-fail", "fail");
    const outcome = await within(run.outcome, "the end of run");
    expect(outcome).toMatchObject({ status: "failed", reason: "exit code 3", exitCode: 3 });
    expect(await run.placement).toMatch(/^process \d+ on this machine$/);
    const text = logStore.read("run-fail").lines.map((line) => `${line.stream}:${line.text}`);
    expect(text).toContain("stdout:run run-fail manual:jobs.fake.job profile prod prod 1");
    expect(text).toContain(`stdout:data ${join(home, "data", "ws", "prod", "var")} ${join(home, "data", "ws", "prod", "local")}`);
    expect(text).toContain('stdout:secret file: token = "***"');
    expect(text).toContain("stderr:failing");
    expect(outcome.lastLines.at(-1)).toBe("failing");
    expect(statSync(join(workspaceDir, ".dlt", "prod.secrets.toml")).mode & 0o777).toBe(0o600);
  });

  it("kills a process that ignores SIGTERM exactly one grace period after the single SIGTERM ⇒ cancelled(timeout)", async () => {
    const { logStore, start } = setup(1, 1.5);
    const run = await start("run-stubborn", "ignore");
    const outcome = await within(run.outcome, "the end of run");
    const lines = logStore.read("run-stubborn").lines.map((line) => line.text);
    expect(lines.filter((line) => line.startsWith("got SIGTERM"))).toHaveLength(1);
    expect(outcome).toMatchObject({ status: "cancelled", reason: "timeout", signal: "SIGKILL", stopCause: "timeout" });
    const graceMs = (outcome.killSentMs ?? 0) - (outcome.termSentMs ?? 0);
    expect(graceMs).toBeGreaterThanOrEqual(1500);
    expect(graceMs).toBeLessThan(2500); // generous: the machine may be busy
    expect((outcome.termSentMs ?? 0) - outcome.startedMs).toBeGreaterThanOrEqual(1000);
  });

  it("counts a clean exit within the grace period after a timeout as completed", async () => {
    const { start } = setup(1, 5);
    const outcome = await (await start("run-clean", "clean")).outcome;
    expect(outcome).toMatchObject({ status: "completed", exitCode: 0, stopCause: "timeout", killSentMs: null });
    expect(outcome.durationMs).toBeLessThan(4000);
  });

  it("cancels on request with the same stop sequence", async () => {
    const { start, logStore } = setup(60, 0.5);
    const run = await start("run-cancel", "ignore");
    await waitUntil(() => logStore.read("run-cancel").lines.length >= 3, "the first log lines of run-cancel", 10_000, 20);
    expect(run.stop("user")).toBe(true);
    expect(run.stop("user")).toBe(false);
    const outcome = await within(run.outcome, "the end of run");
    expect(outcome).toMatchObject({ status: "cancelled", reason: "cancelled by user", signal: "SIGKILL" });
  });

  it("a run with a venv's python finds the venv's programs on PATH and VIRTUAL_ENV set, as in an activated venv (dlt's marimo launcher execs `marimo` by name)", async () => {
    const venv = join(mkdtempSync(join(tmpdir(), "sluice-local-venv-")), "venv");
    execFileSync("uv", ["venv", "--quiet", "--python", "python3", venv], { cwd: tmpdir(), env: { ...process.env, UV_PYTHON_DOWNLOADS: "never" } });
    writeFileSync(join(venv, "bin", "sluice-venv-tool"), "#!/bin/sh\n");
    chmodSync(join(venv, "bin", "sluice-venv-tool"), 0o755);
    const { start, logStore } = setup(60, 5, join(venv, "bin", "python"));
    const outcome = await within((await start("run-which", "which")).outcome, "the end of run-which");
    expect(outcome.status).toBe("completed");
    expect(logStore.read("run-which").lines.map((line) => line.text)).toContain(`tool ${join(venv, "bin", "sluice-venv-tool")} venv ${venv}`);
  });
});

