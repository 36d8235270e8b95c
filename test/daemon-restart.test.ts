/**
 * A graceful daemon stop (SIGTERM to `sluice up`) leaves batch run containers running; the next
 * `sluice up` re-attaches them (docs/daemon.md, "Stopping and restarting"). A container that
 * ended while the daemon was down yields its real exit code and its remaining log lines (each
 * line stored once), and a completion fires the job's follow-ups; only a run whose container
 * was removed while the daemon was down is recorded lost, with a reason that says so.
 * Real `sluice up` child processes, Docker and dlt 1.26.0 (the fruitshop environment).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunView, TriggerView } from "../cli/daemon/runtime-types.js";
import { DaemonProcess, waitUntil } from "./daemon-e2e-support.js";
import { copyFixtureWorkspace, writeFiles } from "./support/workspaces.js";

const LINES = 40;
const COUNTER = `
import time
import dlt.hub.run as run

@run.job
def count_slowly():
    for n in range(1, ${LINES + 1}):
        print(f"line {n}", flush=True)
        time.sleep(0.5)

@run.job(trigger=count_slowly.success)
def after_count():
    print("follow-up ran", flush=True)
`;
const CONFIG = "api: { port: 0 }\nproxy: { port: 0 }\nruns: { network: none }\n";
const EXPECTED = Array.from({ length: LINES }, (_, i) => `line ${i + 1}`);

let root: string;
let daemon: DaemonProcess;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "sluice-restart-"));
  daemon = new DaemonProcess(join(root, "home"));
  const dir = join(root, "counter");
  copyFixtureWorkspace("fruitshop", dir);
  writeFiles(dir, { "counter_jobs.py": COUNTER, "__deployment__.py": "from counter_jobs import count_slowly, after_count\n\n__all__ = ['count_slowly', 'after_count']\n" });
  await daemon.start(CONFIG);
  const deployed = await daemon.cli("deploy", dir);
  expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
}, 900_000);

afterAll(async () => {
  await daemon?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

function storedLines(runId: string): Array<{ stream: string; text: string }> {
  const file = join(daemon.home, "logs", `${runId}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((row) => row.startsWith('{"q"'))
    .map((row) => JSON.parse(row) as { s: string; l: string })
    .map((record) => ({ stream: record.s, text: record.l }));
}

const outputLines = (runId: string) => storedLines(runId).filter((line) => line.stream === "stdout" && /^line \d+$/.test(line.text)).map((line) => line.text);

/**
 * The run's container, by its name: run ids repeat across homes, so the name has this home's
 * instance (cli/compose/run-starter.ts); a warm container that became the run was renamed to it.
 */
function containerOf(runId: string): { id: string; state: string } | undefined {
  const instance = createHash("sha256").update(daemon.home).digest("hex").slice(0, 16);
  const filters = ["--filter", `name=^sluice-run-${instance}-${runId}$`, "--filter", `label=sluice.instance=${instance}`];
  const out = execFileSync("docker", ["ps", "-a", ...filters, "--format", "{{.ID}} {{.State}}"], { encoding: "utf8" }).trim();
  const [id, state] = out.split(/\s+/);
  return id ? { id, state: state ?? "" } : undefined;
}

async function runsOf(job: string): Promise<RunView[]> {
  return daemon.json<RunView[]>("runs", job, "--limit", "50");
}

/** Triggers count_slowly (starting the daemon when an earlier case left it down) and returns its run id once the run has stored its second line. */
async function startCounting(): Promise<string> {
  if (!existsSync(join(daemon.home, "daemon.json"))) await daemon.start(CONFIG);
  const triggered = await daemon.json<TriggerView>("trigger", "count_slowly");
  const runId = triggered.runs[0]?.runId ?? "";
  expect(runId).toMatch(/^run-\d+$/);
  await waitUntil(() => outputLines(runId).length >= 2, 300_000, () => `run ${runId} printed no lines\n${daemon.output.slice(-3000)}`);
  return runId;
}

/** SIGTERM to `sluice up`; returns how long the daemon took to exit. */
async function stopGracefully(): Promise<number> {
  const started = Date.now();
  await daemon.stop();
  return Date.now() - started;
}

async function finished(runId: string, timeoutMs = 120_000): Promise<RunView> {
  let run: RunView | undefined;
  await waitUntil(
    async () => {
      run = (await runsOf("count_slowly")).find((r) => r.runId === runId && !["pending", "running", "starting"].includes(r.status));
      return run !== undefined;
    },
    timeoutMs,
    () => `run ${runId} did not finish\n${daemon.output.slice(-3000)}`,
  );
  return run as RunView;
}

describe("graceful daemon stop and restart with a batch run active", () => {
  it("the container keeps running through a SIGTERM stop and ends while the daemon is down; the next start records completed (exit 0), stores each line once, removes the container and fires the follow-up", async () => {
    const runId = await startCounting();
    const stopMs = await stopGracefully();
    expect(stopMs).toBeLessThan(15_000);
    expect(containerOf(runId)?.state).toBe("running");
    await waitUntil(() => containerOf(runId)?.state === "exited", 60_000, () => `the container of ${runId} did not exit`);

    await daemon.start(CONFIG);
    const run = await finished(runId);
    expect(run.status, JSON.stringify(run)).toBe("completed");
    expect(run.exitCode).toBe(0);
    expect(run.reason).toBeNull();
    expect((await runsOf("count_slowly")).filter((r) => r.runId === runId)).toHaveLength(1);
    expect(outputLines(runId)).toEqual(EXPECTED);
    expect(storedLines(runId).map((line) => line.text)).toContain("sluice: the run's container ended while Sluice was down (exited)");
    await waitUntil(() => containerOf(runId) === undefined, 30_000, () => `the container of ${runId} was not removed`);
    await waitUntil(
      async () => (await daemon.json<RunView[]>("runs", "after_count")).some((r) => r.trigger === "job.success:jobs.counter_jobs.count_slowly" && r.status === "completed"),
      120_000,
      () => `the follow-up after_count did not complete\n${daemon.output.slice(-3000)}`,
    );
  }, 900_000);

  it("a run still running at the next start is re-attached and followed to completion, each line stored once", async () => {
    const runId = await startCounting();
    await stopGracefully();
    expect(containerOf(runId)?.state).toBe("running");
    await daemon.start(CONFIG);
    const run = await finished(runId);
    expect(run.status, JSON.stringify(run)).toBe("completed");
    expect(run.exitCode).toBe(0);
    expect(storedLines(runId).map((line) => line.text)).toContain("sluice: re-attached to the run's container after a restart");
    expect(outputLines(runId)).toEqual(EXPECTED);
    await waitUntil(() => containerOf(runId) === undefined, 30_000, () => `the container of ${runId} was not removed`);
  }, 900_000);

  it("a run whose container was removed while the daemon was down is recorded lost: its container is gone", async () => {
    const runId = await startCounting();
    await stopGracefully();
    const container = containerOf(runId);
    expect(container?.state).toBe("running");
    execFileSync("docker", ["rm", "-f", container?.id ?? ""]);
    await daemon.start(CONFIG);
    const run = await finished(runId);
    expect(run.status).toBe("cancelled");
    expect(run.reason).toBe("lost: its container is gone (removed while the daemon was down)");
    expect((await runsOf("count_slowly")).filter((r) => r.runId === runId)).toHaveLength(1);
  }, 900_000);
});
