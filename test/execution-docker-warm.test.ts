/**
 * Warm run containers of the Docker executor with the fruitshop workspace's real environment
 * image, real dlt and dlt's job launcher: a run handed to a warm container sees exactly what a
 * cold container of that run sees (argv, sys.path, cwd, environment, host name, settings and
 * secrets, data dir, descriptors, output, exit code), a stop ends it the same way, a daemon
 * restart adopts it, and whenever no warm container fits, the run starts cold.
 */
import { existsSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDockerodeEngine, type ContainerEngine } from "../runner/docker/index.js";
import { imageEnvironments, Launcher, prepareRun, type DockerExecutor, type PreparedRun, type RunEnvironment } from "../runner/executors/index.js";
import { WARM_RUN_PURPOSE } from "../runner/executors/warm-containers.js";
import { DEFAULT_PER_TARGET } from "../runner/executors/warm-python.js";
import { createRunHome, type RunHome } from "./support/run-home.js";
import { waitUntil, within } from "./support/wait.js";
import { comparable, observeRun, type Observed } from "./support/warm-runs.js";
import { copyFixtureWorkspace, writeFiles } from "./support/workspaces.js";

/** A job printing the process state it sees as one JSON line (`probe {...}`), then doing what PROBE_MODE says. */
const PROBE = `
import json, os, socket, sys
import dlt
from dlt.hub.run import job


@job
def probe():
    import __main__
    context = dlt.current.run_context()
    settings = sorted(os.listdir(".dlt"))
    secret = open(".dlt/dev.secrets.toml").read().strip() if os.path.exists(".dlt/dev.secrets.toml") else None
    state = {
        "argv": sys.argv,
        "orig_argv": sys.orig_argv,
        "path": sys.path,
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "hostname": socket.gethostname(),
        "main": [sorted(vars(__main__)), __main__.__spec__.name],
        "profile": context.profile,
        "data_dir": context.data_dir,
        "settings": settings,
        "secret_seen": secret is not None,
        "fds": sorted(os.listdir("/proc/self/fd")),
        "stdin_is_devnull": os.path.samestat(os.fstat(0), os.stat(os.devnull)),
        "control_fifo_visible": os.path.exists("/sluice/control/in"),
    }
    print("probe", json.dumps(state), flush=True)
    print("probe stderr line", file=sys.stderr, flush=True)
    mode = os.environ.get("PROBE_MODE", "")
    if mode == "exit":
        sys.exit(4)
    if mode == "raise":
        raise RuntimeError("probe failure")
    if mode == "sleep":
        from dlt.common.runtime import signals
        print("sleeping", flush=True)
        for _ in range(600):
            signals.sleep(0.1)
            signals.raise_if_signalled()
    if mode == "load":
        from fruitshop_pipeline import fruitshop
        pipeline = dlt.pipeline(pipeline_name="fruitshop", destination="fruitshop_destination", dataset_name="fruitshop_data")
        pipeline.run(fruitshop())
        with pipeline.sql_client() as client:
            rows = client.execute_sql("select count(*) from purchases")
        print("purchases", rows[0][0], flush=True)
`;

let runHome: RunHome;
let ws: string;
let engine: ContainerEngine;
let environmentFor: (run: PreparedRun) => Promise<RunEnvironment>;
const executors: DockerExecutor[] = [];

beforeAll(async () => {
  runHome = createRunHome("sluice-docker-warm-");
  ws = join(runHome.home, "fruitshop");
  copyFixtureWorkspace("fruitshop", ws);
  writeFiles(ws, { "warm_probe.py": PROBE });
  engine = createDockerodeEngine();
  environmentFor = imageEnvironments(engine, { onProgress: () => {} });
  runHome.secretStore.set("fruitshop", "dev", 'probe_token = "tok_warm_secret_42"\n');
}, 900_000);

/** Removes the idle warm containers of every executor so far (tests that count them start clean). */
async function closeAll(): Promise<void> {
  for (const executor of executors.splice(0)) await executor.close();
}

afterAll(closeAll);

const instance = () => basename(runHome.home);

function executor(warm: boolean | { perTarget?: number }, through: ContainerEngine = engine): DockerExecutor {
  const created = runHome.dockerExecutor({ engine: through, environmentFor, network: "none", instance: instance(), warm });
  executors.push(created);
  return created;
}

function prepared(runId: string, env: Record<string, string> = {}, profile = "dev"): PreparedRun {
  const job = { job_ref: "jobs.warm_probe.probe", entry_point: { module: "warm_probe", function: "probe", job_type: "batch", launcher: Launcher.job } };
  const run = prepareRun(job, { name: "fruitshop", dir: ws }, { runId, trigger: "manual:jobs.warm_probe.probe", refresh: false, profileOverride: profile }, runHome.context, runHome.clock.now());
  return { ...run, env: { ...run.env, RUNTIME__DLTHUB_TELEMETRY: "false", ...env } };
}

/**
 * Waits until `docker` has `count` ready warm containers and none still starting; the id of the
 * first, the one the next run is handed (the pool's first ready). A container still starting
 * could become ready ahead of it in the pool while the test does something else.
 */
async function readyWarm(docker: DockerExecutor, count = 1): Promise<string> {
  const settled = () => {
    const idle = docker.warmContainers?.idle() ?? [];
    return idle.filter((warm) => warm.ready).length >= count && idle.every((warm) => warm.ready);
  };
  await waitUntil(settled, `${count} ready warm container(s), none starting`, 120_000);
  const id = docker.warmContainers?.idle().find((warm) => warm.ready)?.containerId;
  if (!id) throw new Error("no warm container id");
  return id;
}

const observe = (docker: DockerExecutor, run: PreparedRun): Promise<Observed> => observeRun(docker, runHome.logStore, run, 180_000);

const placedIn = (containerId: string) => `container ${containerId.slice(0, 12)} on this machine`;

describe("docker executor with warm run containers", () => {
  it("a warm run sees the same argv, sys.path, cwd, environment, host name, settings with secrets, data dir, __main__, descriptors, output and exit as a cold run (exit 0, sys.exit(4), an exception)", async () => {
    const cold = executor(false);
    const warm = executor(true);
    // the warm containers are created after this run, with its start-up variables only
    await observe(warm, prepared("dw-prime", { PRIME_ONLY: "x" }));
    const warmRuns: Observed[] = [];
    for (const mode of ["", "exit", "raise"]) {
      const warmId = await readyWarm(warm);
      const coldRun = await observe(cold, prepared(`dw-cold-${mode}`, { PROBE_MODE: mode }));
      const warmRun = await observe(warm, prepared(`dw-warm-${mode}`, { PROBE_MODE: mode }));
      expect(warmRun.placement, "the run went to the warm container").toBe(placedIn(warmId));
      expect(comparable(warmRun, `dw-warm-${mode}`), mode).toEqual(comparable(coldRun, `dw-cold-${mode}`));
      warmRuns.push(warmRun);
    }
    const [first, exited, raised] = warmRuns;
    expect(first?.probe).toMatchObject({ profile: "dev", cwd: "/workspace", data_dir: "/sluice/data/var", stdin_is_devnull: true, secret_seen: true, fds: ["0", "1", "2", "3"], control_fifo_visible: false });
    expect(first?.probe.env).not.toHaveProperty("PRIME_ONLY");
    expect(first?.lines.join("\n")).not.toContain("tok_warm_secret_42");
    expect(first?.lines).toContain("stderr:probe stderr line");
    expect(exited?.outcome).toMatchObject({ status: "failed", exitCode: 4 });
    expect(raised?.lines.join("\n")).toContain("RuntimeError: probe failure");
  });

  it("a warm run loads the fruitshop pipeline (purchases > 0) into a DuckDB file in the workspace+profile's data dir on the host", async () => {
    const warm = executor(true);
    await observe(warm, prepared("dl-prime", {}, "prod"));
    const id = await readyWarm(warm);
    const load = await observe(warm, prepared("dl-load", { PROBE_MODE: "load" }, "prod"));
    expect(load.placement).toBe(placedIn(id));
    expect(load.outcome.status).toBe("completed");
    const counted = load.lines.find((line) => line.startsWith("stdout:purchases "));
    expect(Number(counted?.split(" ")[1])).toBeGreaterThan(0);
    expect(readdirSync(join(runHome.dataRoot, "fruitshop", "prod", "local")).some((name) => name.endsWith(".duckdb"))).toBe(true);
  });

  it("stopping a warm run sends the single SIGTERM and ends it with the same exit, status and output as stopping a cold run", async () => {
    const cold = executor(false);
    const warm = executor(true);
    await observe(warm, prepared("ds-prime"));
    const warmId = await readyWarm(warm);
    const stopped = async (docker: DockerExecutor, runId: string) => {
      const started = await docker.start(prepared(runId, { PROBE_MODE: "sleep" }));
      // stdout and stderr are two pipes: the stderr line printed before "sleeping" may still be on its way
      await waitUntil(() => ["sleeping", "probe stderr line"].every((line) => runHome.logText(runId).includes(line)), `${runId} sleeping, its stderr line stored`, 120_000);
      expect(started.stop("user", 10_000)).toBe(true);
      const outcome = await within(started.outcome, `the end of ${runId}`, 60_000);
      const lines = runHome.logStore.read(runId).lines.map((line) => `${line.stream}:${line.text}`);
      return { outcome, lines, probe: {}, placement: await started.placement };
    };
    const coldStop = await stopped(cold, "ds-cold");
    const warmStop = await stopped(warm, "ds-warm");
    expect(warmStop.placement).toBe(placedIn(warmId));
    expect(comparable(warmStop, "ds-warm")).toEqual(comparable(coldStop, "ds-cold"));
    expect(warmStop.outcome.killSentMs, "ended by the SIGTERM, no SIGKILL needed").toBeNull();
  });

  it("a run whose environment differs in a variable the interpreter reads at start-up (PYTHONHASHSEED) starts cold and leaves the warm container idle", async () => {
    const warm = executor(true);
    await observe(warm, prepared("de-prime"));
    const warmId = await readyWarm(warm);
    const run = await observe(warm, prepared("de-hash", { PYTHONHASHSEED: "7" }));
    expect(run.outcome.status).toBe("completed");
    expect(run.placement).not.toBe(placedIn(warmId));
    expect(warm.warmContainers?.idle().map((idle) => idle.containerId)).toContain(warmId);
  });

  it("detach() closes every output stream it opened, the warm run's and the idle containers' (an open one keeps a stopping daemon alive); after the restart the running warm run is adopted and followed to its end, idle warm containers of the stopped daemon are removed, and the run's slot folder goes with its container", async () => {
    await closeAll();
    const streams: Array<Promise<void>> = [];
    const recording: ContainerEngine = {
      ...engine,
      async attach(id, onData, options) {
        const attached = await engine.attach(id, onData, options);
        streams.push(attached.done);
        return attached;
      },
    };
    const first = executor(true, recording);
    await observe(first, prepared("dr-prime"));
    const warmId = await readyWarm(first, 2);
    const started = await first.start(prepared("dr-run", { PROBE_MODE: "sleep" }));
    expect(await started.placement).toBe(placedIn(warmId));
    await waitUntil(() => runHome.logText("dr-run").includes("sleeping"), "dr-run sleeping", 120_000);
    first.detach();
    expect(streams.length, "the run's and two idle containers' streams at least").toBeGreaterThanOrEqual(3);
    await within(Promise.all(streams), "every output stream of the stopped executor to close", 10_000);
    const second = executor(true);
    const adopted = await second.recoverAll();
    expect(adopted.map((run) => [run.runId, run.alive, run.containerId])).toEqual([["dr-run", true, warmId]]);
    // removals already asked for by the stopping daemon may still be under way: the engine is given a deadline
    const idleLeft = async () => (await engine.listContainers({ "sluice.purpose": WARM_RUN_PURPOSE, "sluice.instance": instance() })).filter((container) => container.id !== warmId);
    await waitUntil(async () => (await idleLeft()).length === 0, "the idle warm containers of the stopped daemon removed", 30_000);
    const run = adopted[0]?.run;
    expect(run?.stop("user", 10_000)).toBe(true);
    const outcome = await within(run?.outcome ?? Promise.reject(new Error("not adopted")), "the adopted run's end", 60_000);
    expect(outcome.status).toBe("cancelled");
    expect(await engine.listContainers({ "sluice.purpose": WARM_RUN_PURPOSE, "sluice.instance": instance() })).toEqual([]);
    expect(readdirSync(join(runHome.overlayRoot, "warm"))).toEqual([]);
  });

  it("close() removes every idle warm container and its slot folder", async () => {
    await closeAll();
    const warm = executor(true);
    await observe(warm, prepared("dc-prime"));
    await readyWarm(warm, DEFAULT_PER_TARGET);
    const ids = warm.warmContainers?.idle().map((idle) => idle.containerId) ?? [];
    expect(ids).toHaveLength(DEFAULT_PER_TARGET);
    await warm.close();
    const left = await engine.listContainers({ "sluice.purpose": WARM_RUN_PURPOSE, "sluice.instance": instance() });
    expect(left.filter((container) => ids.includes(container.id))).toEqual([]);
    expect(existsSync(join(runHome.overlayRoot, "warm")) ? readdirSync(join(runHome.overlayRoot, "warm")) : []).toEqual([]);
  });
});
