/**
 * The Docker executor with real containers. A tiny Python "launcher" module in a temp workspace
 * stands in for the job: these tests are about the container contract (mounts, env, labels,
 * secrets, logs, stop sequence, re-attach), not dlt.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createDockerodeEngine, type ContainerEngine } from "../runner/docker/index.js";
import type { RunOutcome } from "../runner/executors/index.js";
import type { RunnableJob } from "../runner/executors/job-shape.js";
import { prepareRun, RunLabel } from "../runner/executors/prepare-run.js";
import { buildRunContainerSpec } from "../runner/executors/run-container-spec.js";
import { ensureBaseImage } from "../runner/images/index.js";
import { createReverseProxy } from "../runner/proxy/index.js";
import { fakeLauncher, fakeServiceLauncher } from "./support/fake-launcher.js";
import { httpRequest } from "./support/http.js";
import { createRecordingServices } from "./support/interactive.js";
import { createRunHome } from "./support/run-home.js";
import { delay, waitUntil, within } from "./support/wait.js";
import { writeFiles } from "./support/workspaces.js";

const SCRIPT = fakeLauncher(`
import os, signal, sys, time
mode = entry["config"]["mode"]
print("run", args.run_id, "profile", entry["profile"], os.environ.get("WORKSPACE__PROFILE"), "pid", os.getpid())
secrets = ".dlt/prod.secrets.toml"
print("secrets:", open(secrets).read().strip() if os.path.exists(secrets) else "none")
print("config:", open(".dlt/config.toml").read().strip())
data = os.path.join(os.environ["DLT_LOCAL_DIR"], "counter.txt")
count = int(open(data).read()) + 1 if os.path.exists(data) else 1
open(data, "w").write(str(count))
print("count", count)
try:
    open("written-into-workspace", "w")
    print("workspace writable")
except OSError:
    print("workspace read-only")
def on_term(signum, frame):
    print("got SIGTERM", flush=True)
    if mode == "clean":
        sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
if mode == "fail":
    print("failing", file=sys.stderr)
    sys.exit(3)
if mode == "ticks":
    for i in range(1, 21):
        print("tick", i, flush=True)
        time.sleep(0.15)
    sys.exit(0)
while True:
    time.sleep(0.05)
`);

let engine: ContainerEngine;
let image: string;

beforeAll(async () => {
  engine = createDockerodeEngine();
  image = (await ensureBaseImage(engine)).tag;
});

/** The base image's Python, enough for the fake launchers. */
const baseEnvironment = async () => ({ image, python: "/usr/bin/python3" });

function setup(timeoutSeconds = 60, graceSeconds = 2) {
  const runHome = createRunHome("sluice-docker-home-");
  const { home, clock, logStore, context } = runHome;
  const ws = join(home, "ws");
  writeFiles(ws, { ".dlt/.workspace": "", ".dlt/config.toml": 'from_commit = "yes"', "fake_launcher.py": SCRIPT });
  const makeExecutor = () => runHome.dockerExecutor({ engine, environmentFor: baseEnvironment, network: "none" });
  const job: RunnableJob = {
    job_ref: "jobs.fake.job",
    entry_point: { module: "fake", function: "job", job_type: "batch", launcher: "fake_launcher" },
    execute: { timeout: { timeout: timeoutSeconds, grace_period: graceSeconds } },
  };
  const prepare = (runId: string, mode: string) =>
    prepareRun(job, { name: "ws", dir: ws, deploymentVersion: 7 }, { runId, trigger: "manual:jobs.fake.job", refresh: false, config: { mode } }, context, clock.now());
  const texts = (runId: string) => logStore.read(runId).lines.map((line) => `${line.stream}:${line.text}`);
  return { ...runHome, ws, makeExecutor, prepare, texts };
}

const containersOf = (runId: string) => engine.listContainers({ [RunLabel.runId]: runId });

describe("docker executor", () => {
  it("runs the container contract: read-only workspace, secrets overlay, profile env, persistent data, labels, removal", async () => {
    const { secretStore, makeExecutor, prepare, texts, overlayRoot, ws } = setup();
    secretStore.set("ws", "prod", 'token = "tok_abcdef123"\n');
    const executor = makeExecutor();
    const first = await executor.start(prepare(`d-fail-${Date.now()}`, "fail"));
    const [container] = await containersOf(first.runId);
    expect(container?.labels).toMatchObject({ [RunLabel.jobRef]: "jobs.fake.job", [RunLabel.workspace]: "ws", [RunLabel.deploymentVersion]: "7", "sluice.purpose": "run" });
    const outcome = await within(first.outcome, "the end of first");
    expect(outcome).toMatchObject({ status: "failed", exitCode: 3, reason: "exit code 3" });
    const lines = texts(first.runId);
    expect(lines.find((line) => line.startsWith("stdout:run"))).toMatch(/profile prod prod pid \d+/);
    expect(lines).toContain('stdout:secrets: token = "***"');
    expect(lines).toContain('stdout:config: from_commit = "yes"');
    expect(lines).toContain("stdout:workspace read-only");
    expect(lines).toContain("stderr:failing");
    expect(lines.join("\n")).not.toContain("tok_abcdef123");
    expect(lines).toContain("stdout:count 1");
    expect(await containersOf(first.runId)).toEqual([]);
    expect(readdirSync(overlayRoot)).toEqual([]);
    expect(existsSync(join(ws, ".dlt", "prod.secrets.toml"))).toBe(false);

    const second = await executor.start(prepare(`d-quick-${Date.now()}`, "fail"));
    await within(second.outcome, "the end of second");
    expect(texts(second.runId)).toContain("stdout:count 2");
  });

  it("kills a container ignoring SIGTERM one grace period after the single SIGTERM ⇒ cancelled(timeout)", async () => {
    const { makeExecutor, prepare, texts } = setup(2, 2);
    const run = await makeExecutor().start(prepare(`d-stubborn-${Date.now()}`, "ignore"));
    const outcome = await within(run.outcome, "the end of run");
    expect(texts(run.runId).filter((line) => line === "stdout:got SIGTERM")).toHaveLength(1);
    expect(outcome).toMatchObject({ status: "cancelled", reason: "timeout", exitCode: 137 });
    const grace = (outcome.killSentMs ?? 0) - (outcome.termSentMs ?? 0);
    expect(grace).toBeGreaterThanOrEqual(2000);
    expect(grace).toBeLessThan(3500); // generous: the machine may be busy
    expect(await containersOf(run.runId)).toEqual([]);
  });

  it("completes a container that exits cleanly within grace after the timeout; cancels on request", async () => {
    const { makeExecutor, prepare, texts } = setup(2, 10);
    const executor = makeExecutor();
    const clean = await executor.start(prepare(`d-clean-${Date.now()}`, "clean"));
    expect(await clean.outcome).toMatchObject({ status: "completed", exitCode: 0, stopCause: "timeout", killSentMs: null });
    const cancelled = await executor.start(prepare(`d-cancel-${Date.now()}`, "clean"));
    await waitUntil(() => texts(cancelled.runId).some((line) => line.startsWith("stdout:count")), "the cancelled run's count line", 20_000, 25);
    cancelled.stop("user");
    expect(await cancelled.outcome).toMatchObject({ status: "cancelled", reason: "cancelled by user", exitCode: 0 });
  });

  it("after a restart re-attaches a live container without duplicating logs, and enforces its timeout from the original start", async () => {
    const { makeExecutor, prepare, texts, logStore } = setup(4, 1);
    // The "previous daemon": started two containers, stored the first lines of one, then died.
    const ticks = prepare(`d-ticks-${Date.now()}`, "ticks");
    const stubborn = prepare(`d-stub2-${Date.now()}`, "ignore");
    for (const run of [ticks, stubborn]) {
      const id = await engine.createContainer(buildRunContainerSpec(run, { image, python: "/usr/bin/python3", network: "none" }));
      await engine.startContainer(id);
    }
    await delay(1200);
    const before = execFileSync("docker", ["logs", `sluice-run-${ticks.runId}`], { encoding: "utf8" }).split("\n").filter(Boolean);
    for (const line of before.slice(0, 4)) logStore.append(ticks.runId, "stdout", line);

    const adopted = await makeExecutor().recoverAll();
    const mine = adopted.filter((a) => a.runId === ticks.runId || a.runId === stubborn.runId);
    expect(mine.map((a) => a.alive)).toEqual([true, true]);
    const [tickOutcome, stubOutcome] = await Promise.all(mine.sort((a, b) => (a.runId === ticks.runId ? -1 : b.runId === ticks.runId ? 1 : 0)).map((a) => a.run.outcome));
    expect(tickOutcome?.status).toBe("completed");
    const tickLines = texts(ticks.runId).filter((line) => line.startsWith("stdout:tick"));
    expect(tickLines).toEqual(Array.from({ length: 20 }, (_, i) => `stdout:tick ${i + 1}`));
    expect(stubOutcome).toMatchObject({ status: "cancelled", reason: "timeout" });
    const sinceStart = (stubOutcome?.termSentMs ?? 0) - Number(stubborn.labels[RunLabel.startedMs]);
    expect(sinceStart).toBeGreaterThanOrEqual(4000);
    expect(sinceStart).toBeLessThan(5500);
    expect(await containersOf(ticks.runId)).toEqual([]);
  });

  it("fails to start with a masked run_start_failed error and leaves nothing behind", async () => {
    const { secretStore, overlayRoot, prepare, texts, dockerExecutor } = setup();
    secretStore.set("ws", "prod", 'token = "tok_missing_image"\n');
    const executor = dockerExecutor({ engine, environmentFor: async () => ({ image: "sluice/does-not-exist:tok_missing_image", python: "/usr/bin/python3" }), network: "none" });
    const run = prepare(`d-noimage-${Date.now()}`, "fail");
    const error = await executor.start(run).then(() => undefined, (caught: unknown) => caught as { code?: string; message: string });
    expect(error?.code).toBe("run_start_failed");
    expect(error?.message).not.toContain("tok_missing_image");
    expect(texts(run.runId).join("\n")).toContain("could not be started");
    expect(readdirSync(overlayRoot)).toEqual([]);
    expect(await containersOf(run.runId)).toEqual([]);
  });

  it("after a restart reports a container that ended while Sluice was down and removes it", async () => {
    const { makeExecutor, prepare } = setup();
    const run = prepare(`d-ended-${Date.now()}`, "fail");
    const id = await engine.createContainer(buildRunContainerSpec(run, { image, python: "/usr/bin/python3", network: "none" }));
    await engine.startContainer(id);
    await engine.waitContainer(id);
    // ended while Sluice was down: also in the engine's state (the exit's event can come first)
    await waitUntil(async () => (await containersOf(run.runId))[0]?.state === "exited", "the container listed as exited", 10_000);
    const adopted = await makeExecutor().adopt(run.runId);
    expect(adopted?.alive).toBe(false);
    if (!adopted) throw new Error(`run ${run.runId} was not adopted`);
    const outcome = await within(adopted.run.outcome, "the end of the adopted run");
    expect(outcome).toMatchObject({ status: "failed", exitCode: 3 });
    expect(outcome?.lastLines).toContain("failing");
    expect(await containersOf(run.runId)).toEqual([]);
  });
});

describe("docker executor, interactive", () => {
  it("serves a container through the proxy on a loopback-only port with machine limits, stopping it when idle", async () => {
    const { ws, clock, context, dockerExecutor } = setup();
    writeFiles(ws, { "fake_service.py": fakeServiceLauncher("0.0.0.0") });
    const executor = dockerExecutor({ engine, environmentFor: baseEnvironment, network: "bridge" });
    const job: RunnableJob = {
      job_ref: "jobs.svc",
      entry_point: { module: "svc", function: null, job_type: "interactive", launcher: "fake_service" },
      execute: { timeout: { timeout: 2, grace_period: 1 } },
      require: { machine: "small" },
    };
    const outcomes: RunOutcome[] = [];
    const services = createRecordingServices(
      {
        clock,
        context: { ...context, machines: { small: { cpus: 0.5, memoryMb: 256 } } },
        executor,
        lookup: (w, j) => (w === "ws" && j === "svc" ? { job, workspace: { name: "ws", dir: ws } } : undefined),
        newRunId: () => `dsvc-${Date.now()}`,
      },
      outcomes,
    );
    const proxy = createReverseProxy(services);
    const port = await proxy.listen(0);
    try {
      const answer = JSON.parse((await httpRequest(port, "/w/ws/svc/x")).body) as { run: string; path: string; profile: string };
      expect(answer).toMatchObject({ path: "/x", profile: "prod" });
      const inspect = JSON.parse(execFileSync("docker", ["inspect", `sluice-run-${answer.run}`], { encoding: "utf8" })) as Array<{ HostConfig: { NanoCpus: number; Memory: number; PortBindings: Record<string, Array<{ HostIp: string }>>; Init: boolean } }>;
      const host = inspect[0]?.HostConfig;
      expect(host?.NanoCpus).toBe(500_000_000);
      expect(host?.Memory).toBe(256 * 1024 * 1024);
      expect(host?.Init).toBe(true);
      expect(Object.values(host?.PortBindings ?? {}).flat().map((binding) => binding.HostIp)).toEqual(["127.0.0.1"]);
      while (outcomes.length === 0) await delay(50);
      expect(outcomes[0]).toMatchObject({ status: "completed", stopCause: "idle" });
      expect(await containersOf(answer.run)).toEqual([]);
    } finally {
      await services.stopAll();
      await proxy.close();
    }
  });
});

