/**
 * Warm interpreters of the local executor with a real host venv, real dlt and dlt's job launcher:
 * a run handed to a warm interpreter sees exactly what a cold `python -m <launcher>` sees (argv,
 * sys.path, cwd, environment, profile, data dir, output, exit code, signals), each run is its own
 * process, and whenever no warm interpreter fits, the run starts cold.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createLocalExecutor, Launcher, prepareRun, type LocalExecutor, type PreparedRun } from "../runner/executors/index.js";
import { WARM_PRELOAD, type WarmPoolOptions } from "../runner/executors/warm-python.js";
import { ensureHostVenv } from "../runner/images/index.js";
import { createRunHome, type RunHome } from "./support/run-home.js";
import { delay, waitUntil, within } from "./support/wait.js";
import { comparable as comparableRun, observeRun, type Observed } from "./support/warm-runs.js";
import { copyFixtureWorkspace, writeFiles } from "./support/workspaces.js";

/** A job printing the process state it sees as one JSON line (`probe {...}`), then doing what PROBE_MODE says. */
const PROBE = `
import json, os, sys, time
import dlt
from dlt.hub.run import job


@job
def probe():
    import __main__
    carried = getattr(dlt, "_sluice_probe_tag", None)
    dlt._sluice_probe_tag = os.environ.get("PROBE_TAG")
    context = dlt.current.run_context()
    state = {
        "pid": os.getpid(),
        "argv": sys.argv,
        "orig_argv": sys.orig_argv[1:],
        "path": sys.path,
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "main": [sorted(vars(__main__)), __main__.__spec__.name],
        "launcher_imported_as": sorted(name for name in sys.modules if name.endswith("launchers.job")),
        "profile": context.profile,
        "data_dir": context.data_dir,
        "carried": carried,
        "fds": sorted(os.listdir("/proc/self/fd")),
        "stdin_is_devnull": os.path.samestat(os.fstat(0), os.stat(os.devnull)),
    }
    print("probe", json.dumps(state), flush=True)
    print("probe stderr line", file=sys.stderr, flush=True)
    mode = os.environ.get("PROBE_MODE", "")
    if mode == "exit":
        sys.exit(4)
    if mode == "raise":
        raise RuntimeError("probe failure")
    if mode == "interrupt":
        raise KeyboardInterrupt()
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
        print("purchases", rows[0][0], "in", pipeline.working_dir, flush=True)
`;

/**
 * A job that leaves its end to the interpreter's exit: two unclosed DuckDB connections, one held by
 * an object in a reference cycle (garbage once the function returns: the exit's collection closes
 * and checkpoints it), one in a module global (with dlt loaded the exit does not reach it: its rows
 * stay in the .wal), and objects whose finalizers write a line, parked in those places and on dlt's
 * Container singleton, a dlt class and a dlt module (created at import: a warm interpreter imported
 * them, and froze them, before the run).
 */
const EXIT_PROBE = `
import os
import duckdb
import dlt.common.configuration.container as dlt_container_module
from dlt.common.configuration.container import Container
from dlt.common.configuration.specs import BaseConfiguration
from dlt.hub.run import job


class Finalized:
    def __init__(self, name):
        self.name = name

    def __del__(self, _write=os.write):
        _write(1, ("finalized " + self.name + "\\n").encode())


def _written(name):
    connection = duckdb.connect(os.path.join(os.environ["EXIT_PROBE_DIR"], name + ".duckdb"))
    connection.execute("create table t as select range as i from range(100000)")
    return connection


@job
def exit_probe():
    global connection, kept
    connection = _written("module_global")
    kept = Finalized("module global")
    cycle = Finalized("in a cycle")
    cycle.me = cycle
    cycle.connection = _written("in_a_cycle")
    Container()._sluice_exit_probe = Finalized("on dlt's Container")
    BaseConfiguration._sluice_exit_probe = Finalized("on a dlt class")
    dlt_container_module._sluice_exit_probe = Finalized("on a dlt module")
    print("written", flush=True)
`;

/** A job making cyclic garbage with a finalizer, collecting it, and printing what it saw and gc's freeze count. */
const GC_PROBE = `
import gc
from dlt.hub.run import job


class Cyclic:
    def __del__(self):
        print("finalized during the run", flush=True)


@job
def gc_probe():
    garbage = Cyclic()
    garbage.me = garbage
    del garbage
    print("collected", gc.collect() > 0, flush=True)
    print("frozen", gc.get_freeze_count() > 0, flush=True)
`;

/** A job printing whether croniter and a module that is not installed are imported when it starts. */
const MODULES_PROBE = `
import sys
from dlt.hub.run import job


@job
def modules():
    print("modules", "croniter" in sys.modules, "sluice_not_installed_module" in sys.modules, flush=True)
`;

let runHome: RunHome;
let ws: string;
let python: string;

beforeAll(async () => {
  runHome = createRunHome("sluice-local-warm-");
  ws = join(runHome.home, "fruitshop");
  copyFixtureWorkspace("fruitshop", ws);
  writeFiles(ws, { "warm_probe.py": PROBE, "warm_exit.py": EXIT_PROBE, "warm_modules.py": MODULES_PROBE, "warm_gc.py": GC_PROBE });
  python = (await ensureHostVenv({ workspaceDir: ws, onProgress: () => {} })).pythonPath;
});

const BASE_ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", SLUICE_TEST_BASE: "base" };

function executor(warm: boolean | WarmPoolOptions): LocalExecutor {
  return createLocalExecutor({ clock: runHome.clock, logStore: runHome.logStore, pythonFor: () => python, baseEnv: BASE_ENV, warm });
}

function prepared(runId: string, env: Record<string, string>, profile = "prod", module = "warm_probe", fn = "probe"): PreparedRun {
  const job = { job_ref: `jobs.${module}.${fn}`, entry_point: { module, function: fn, job_type: "batch", launcher: Launcher.job } };
  const run = prepareRun(job, { name: "fruitshop", dir: ws }, { runId, trigger: "manual:jobs.warm_probe.probe", refresh: false, profileOverride: profile }, runHome.context, runHome.clock.now());
  return { ...run, env: { ...run.env, ...env } };
}

/** Waits until `local` has a ready warm interpreter; its pid. */
async function readyWarm(local: LocalExecutor): Promise<number> {
  // none still starting either: one could become ready ahead of it in the pool and be handed the next run instead
  const settled = () => {
    const idle = local.warmPool?.idle() ?? [];
    return idle.some((warm) => warm.ready) && idle.every((warm) => warm.ready);
  };
  await waitUntil(settled, "a ready warm interpreter, none starting", 60_000);
  const pid = local.warmPool?.idle().find((warm) => warm.ready)?.pid;
  if (pid === undefined) throw new Error("no warm pid");
  return pid;
}

const observe = (local: LocalExecutor, run: PreparedRun): Promise<Observed> => observeRun(local, runHome.logStore, run, 120_000);
/** Run id and pid replaced, and what a global set by an earlier run carried. */
const comparable = (observed: Observed, runId: string): unknown => comparableRun(observed, runId, { pid: 0, carried: null });

describe("local executor with warm interpreters", () => {
  it("a warm run sees the same argv, sys.path, cwd, environment, profile, data dir, __main__, descriptors, output and exit code or signal as a cold run (exit 0, sys.exit(4), an exception, KeyboardInterrupt)", async () => {
    const cold = executor(false);
    const warm = executor(true);
    const warmRuns: Observed[] = [];
    try {
      // the warm interpreter is started with this prod run's environment; the compared runs are dev
      await observe(warm, prepared("prime-1", { PROBE_TAG: "prime", PRIME_ONLY: "x" }));
      for (const mode of ["", "exit", "raise", "interrupt"]) {
        const warmPid = await readyWarm(warm);
        const coldRun = await observe(cold, prepared(`cold_run_${mode}`, { PROBE_MODE: mode }, "dev"));
        const warmRun = await observe(warm, prepared(`warm_run_${mode}`, { PROBE_MODE: mode }, "dev"));
        expect(warmRun.placement, "the run went to the warm interpreter").toBe(`process ${warmPid} on this machine`);
        expect(comparable(warmRun, `warm_run_${mode}`), mode).toEqual(comparable(coldRun, `cold_run_${mode}`));
        warmRuns.push(warmRun);
      }
    } finally {
      warm.close();
    }
    const [first, exited, raised, interrupted] = warmRuns;
    expect(first?.probe).toMatchObject({ profile: "dev", cwd: ws, path: expect.arrayContaining([ws]), data_dir: join(runHome.home, "data", "fruitshop", "dev", "var"), stdin_is_devnull: true, carried: null });
    expect((first?.probe.env as Record<string, string>).SLUICE_TEST_BASE).toBe("base");
    expect(first?.probe.env).not.toHaveProperty("PRIME_ONLY");
    expect(first?.probe.env).not.toHaveProperty("PROBE_TAG");
    expect(first?.lines).toContain("stderr:probe stderr line");
    expect(exited?.outcome.status).toBe("failed");
    expect(raised?.lines.join("\n")).toContain("RuntimeError: probe failure");
    expect(interrupted?.outcome.signal, "an uncaught KeyboardInterrupt ends python -m through SIGINT").toBe("SIGINT");
  });

  it("SIGTERM during a warm run ends it with the same exit, status and output as SIGTERM during a cold run", async () => {
    const cold = executor(false);
    const warm = executor(true);
    try {
      await observe(warm, prepared("term_prime", {}));
      const warmPid = await readyWarm(warm);
      const stopped = async (local: LocalExecutor, runId: string) => {
        const started = await local.start(prepared(runId, { PROBE_MODE: "sleep" }, "dev"));
        // stdout and stderr are two pipes: the stderr line printed before "sleeping" may still be on its way
        await waitUntil(() => ["sleeping", "probe stderr line"].every((line) => runHome.logText(runId).includes(line)), `${runId} sleeping, its stderr line stored`, 60_000);
        expect(started.stop("user", 10_000)).toBe(true);
        const outcome = await within(started.outcome, `the end of ${runId}`, 30_000);
        const lines = runHome.logStore.read(runId).lines.map((line) => `${line.stream}:${line.text}`);
        return { observed: { outcome, lines, probe: {}, placement: await started.placement }, outcome };
      };
      const coldStop = await stopped(cold, "term_cold");
      const warmStop = await stopped(warm, "term_warm");
      expect(warmStop.observed.placement).toBe(`process ${warmPid} on this machine`);
      expect(comparable(warmStop.observed, "term_warm")).toEqual(comparable(coldStop.observed, "term_cold"));
      expect(warmStop.outcome.killSentMs, "ended by the SIGTERM, no SIGKILL needed").toBeNull();
    } finally {
      warm.close();
    }
  });

  it("three interpreters wait per target by default; a hand-off's replacement starts only when its run has ended, and the next run goes to a ready one meanwhile", async () => {
    const warm = executor(true);
    const readyPids = () => warm.warmPool?.idle().filter((idle) => idle.ready).map((idle) => idle.pid) ?? [];
    try {
      await observe(warm, prepared("three_prime", {}));
      await waitUntil(() => readyPids().length === 3, "three ready warm interpreters", 90_000);
      const sleeping = await warm.start(prepared("three_sleeping", { PROBE_MODE: "sleep" }));
      await waitUntil(() => runHome.logStore.read("three_sleeping").lines.some((line) => line.text === "sleeping"), "the sleeping run to start", 30_000);
      await delay(1_000);
      expect(warm.warmPool?.idle(), "no replacement while two others wait and the run goes on").toHaveLength(2);
      const ready = readyPids();
      const next = await observe(warm, prepared("three_next", {}));
      expect(ready.map((pid) => `process ${pid} on this machine`)).toContain(next.placement);
      // three_next's end refills the pool to three (the sleeping run's share included)
      await waitUntil(() => (warm.warmPool?.idle().length ?? 0) === 3, "the pool refilled at three_next's end", 30_000);
      sleeping.stop("user");
      await within(sleeping.outcome, "the sleeping run's end", 30_000);
      await waitUntil(() => readyPids().length === 3, "three ready", 90_000);
      expect(warm.warmPool?.idle(), "the sleeping run's end adds none to a full pool").toHaveLength(3);
    } finally {
      warm.close();
    }
  });

  it("back-to-back warm runs are different processes: run 2 has another pid and does not see a global run 1 set in dlt", async () => {
    const warm = executor(true);
    try {
      await observe(warm, prepared("b2b_prime", {}));
      const firstPid = await readyWarm(warm);
      const first = await observe(warm, prepared("b2b_one", { PROBE_TAG: "one" }));
      const secondPid = await readyWarm(warm);
      const second = await observe(warm, prepared("b2b_two", { PROBE_TAG: "two" }));
      expect(first.placement).toBe(`process ${firstPid} on this machine`);
      expect(second.placement).toBe(`process ${secondPid} on this machine`);
      expect(secondPid).not.toBe(firstPid);
      expect([first.probe.carried, second.probe.carried]).toEqual([null, null]);
      expect(first.outcome.status).toBe("completed");
      expect(second.outcome.status).toBe("completed");
    } finally {
      warm.close();
    }
  });

  it("a run triggered while the replacement interpreter is still importing dlt waits for it and runs there (one interpreter per target)", async () => {
    const warm = executor({ perTarget: 1 });
    try {
      await observe(warm, prepared("wait_prime", {}));
      await readyWarm(warm);
      // the only one is handed over: its replacement starts at once (none other waits)
      const first = await warm.start(prepared("wait_first", {}));
      await new Promise((resolve) => setImmediate(resolve));
      const [replacement] = warm.warmPool?.idle() ?? [];
      expect(replacement?.ready, "still importing when the next run is triggered").toBe(false);
      const next = await observe(warm, prepared("wait_next", {}));
      expect(next.placement).toBe(`process ${replacement?.pid} on this machine`);
      expect(next.outcome.status).toBe("completed");
      expect((await within(first.outcome, "wait_first's end", 60_000)).status).toBe("completed");
    } finally {
      warm.close();
    }
  });

  it("a warm interpreter killed just before the hand-off: the run starts cold and completes, and a new warm interpreter replaces the dead one (one interpreter per target)", async () => {
    const warm = executor({ perTarget: 1 });
    try {
      await observe(warm, prepared("dead_prime", {}));
      const deadPid = await readyWarm(warm);
      process.kill(deadPid, "SIGKILL");
      // started before the daemon has seen the exit: the hand-off fails and the run goes cold
      const run = await observe(warm, prepared("dead_run", {}));
      expect(run.outcome.status).toBe("completed");
      expect(run.placement).not.toBe(`process ${deadPid} on this machine`);
      const replacement = await readyWarm(warm);
      expect(replacement).not.toBe(deadPid);
      expect(warm.warmPool?.idle().map((idle) => idle.pid)).not.toContain(deadPid);
    } finally {
      warm.close();
    }
  });

  it("a run whose environment differs in a variable dlt's imports read (DLT_DLT_ID_LENGTH_BYTES) or one the interpreter reads at start-up (PYTHONHASHSEED) starts cold and leaves the warm interpreter idle", async () => {
    const warm = executor(true);
    try {
      await observe(warm, prepared("env_prime", {}));
      const warmPid = await readyWarm(warm);
      for (const [runId, env] of [["env_ids", { DLT_DLT_ID_LENGTH_BYTES: "12" }], ["env_hash", { PYTHONHASHSEED: "7" }]] as const) {
        const run = await observe(warm, prepared(runId, env));
        expect(run.outcome.status, runId).toBe("completed");
        expect(run.placement, runId).not.toBe(`process ${warmPid} on this machine`);
        expect(warm.warmPool?.idle().map((idle) => idle.pid)).toContain(warmPid);
      }
    } finally {
      warm.close();
    }
  });

  it("a warm run loads the fruitshop pipeline into DuckDB (40 purchases) with its working dir under the run's DLT_DATA_DIR", async () => {
    const warm = executor(true);
    try {
      await observe(warm, prepared("load_prime", {}));
      const warmPid = await readyWarm(warm);
      const run = await observe(warm, prepared("load_warm", { PROBE_MODE: "load" }, "dev"));
      expect(run.placement).toBe(`process ${warmPid} on this machine`);
      expect(run.outcome.status, run.lines.join("\n")).toBe("completed");
      expect(run.lines).toContain(`stdout:purchases 40 in ${join(runHome.home, "data", "fruitshop", "dev", "var", "pipelines", "fruitshop")}`);
    } finally {
      warm.close();
    }
  });

  it("a warm interpreter imports croniter (dlt imports it lazily for schedules) before the hand-off, skips a `?` preload module that is not installed, and still takes a run whose other variables differ", async () => {
    const modules = (runId: string, env: Record<string, string>) => prepared(runId, env, "prod", "warm_modules", "modules");
    const cold = await observe(executor(false), modules("mods_cold", {}));
    const warm = executor({ preload: [...WARM_PRELOAD, "?sluice_not_installed_module"] });
    try {
      await observe(warm, modules("mods_prime", {}));
      const warmPid = await readyWarm(warm);
      // croniter's import copies the whole environment (platform.architecture): not a read that must match
      const run = await observe(warm, modules("mods_warm", { PROBE_TAG: "differs" }));
      expect(run.placement).toBe(`process ${warmPid} on this machine`);
      expect(cold.lines).toContain("stdout:modules False False");
      expect(run.lines).toContain("stdout:modules True False");
    } finally {
      warm.close();
    }
  });

  it("a warm run starts with the interpreter's import-time objects frozen (gc.get_freeze_count() > 0, 0 cold) and its own cyclic garbage is collected and finalized as in a cold run", async () => {
    const gcRun = (runId: string) => prepared(runId, {}, "prod", "warm_gc", "gc_probe");
    const cold = await observe(executor(false), gcRun("gc_cold"));
    const warm = executor(true);
    try {
      await observe(warm, gcRun("gc_prime"));
      const warmPid = await readyWarm(warm);
      const run = await observe(warm, gcRun("gc_warm"));
      expect(run.placement).toBe(`process ${warmPid} on this machine`);
      const seen = (observed: Observed) => observed.lines.filter((line) => line.startsWith("stdout:"));
      expect(seen(cold)).toEqual(["stdout:finalized during the run", "stdout:collected True", "stdout:frozen False"]);
      expect(seen(run)).toEqual(["stdout:finalized during the run", "stdout:collected True", "stdout:frozen True"]);
    } finally {
      warm.close();
    }
  });

  it("a waiting interpreter's start environment holds none of the previous run's variables (profile, data dirs, run variables)", async () => {
    const warm = executor(true);
    try {
      await observe(warm, prepared("startenv_prime", { PRIME_ONLY: "x" }));
      const pid = await readyWarm(warm);
      const names = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").map((entry) => entry.split("=")[0]);
      expect(names).toContain("SLUICE_TEST_BASE");
      expect(names).toContain("PYTHONUNBUFFERED");
      for (const name of ["PRIME_ONLY", "WORKSPACE__PROFILE", "DLT_DATA_DIR", "DLT_LOCAL_DIR"]) expect(names).not.toContain(name);
    } finally {
      warm.close();
    }
  });

  it("a warm run ends like a cold one: the same finalizers run at exit and its unclosed DuckDB files are left in the same state (checkpointed when held by a cycle, rows in the .wal when held by a module global)", async () => {
    const cold = executor(false);
    const warm = executor(true);
    const ended = async (local: LocalExecutor, runId: string) => {
      const dir = join(runHome.home, runId);
      mkdirSync(dir);
      const run = await observe(local, prepared(runId, { EXIT_PROBE_DIR: dir }, "dev", "warm_exit", "exit_probe"));
      const files = Object.fromEntries(["in_a_cycle", "module_global"].map((name) => [name, duckdbState(join(dir, `${name}.duckdb`))]));
      const finalized = run.lines.filter((line) => line.startsWith("stdout:finalized ")).sort();
      return { status: run.outcome.status, exitCode: run.outcome.exitCode, finalized, files, placement: run.placement };
    };
    try {
      await observe(warm, prepared("exit_prime", {}));
      const coldEnd = await ended(cold, "exit_cold");
      await waitUntil(() => (warm.warmPool?.idle() ?? []).length > 0 && (warm.warmPool?.idle() ?? []).every((idle) => idle.ready), "every warm interpreter ready", 90_000);
      const readyPids = warm.warmPool?.idle().map((idle) => `process ${idle.pid} on this machine`);
      const warmEnd = await ended(warm, "exit_warm");
      expect(readyPids, "the run went to a warm interpreter").toContain(warmEnd.placement);
      // what a cold `python -m` of dlt's launcher does at exit (the behaviour a warm run must keep)
      expect(coldEnd).toMatchObject({ status: "completed", files: { in_a_cycle: { wal: false, rowsInFile: 100000 }, module_global: { wal: true, rowsInFile: -1 } } });
      expect(coldEnd.finalized).toEqual(["stdout:finalized in a cycle", "stdout:finalized on a dlt module"]);
      expect({ ...warmEnd, placement: undefined }).toEqual({ ...coldEnd, placement: undefined });
    } finally {
      warm.close();
    }
  });

  it("close() ends the idle warm interpreters", async () => {
    const warm = executor(true);
    await observe(warm, prepared("close_prime", {}));
    const pid = await readyWarm(warm);
    warm.close();
    expect(warm.warmPool?.idle()).toEqual([]);
    await waitUntil(() => !alive(pid), `warm interpreter ${pid} to end`, 10_000);
  });
});

/** Whether the DuckDB file `db` has a .wal, and the rows of its table `t` in the file alone (the .wal moved aside first; -1: no table there). */
function duckdbState(db: string): { wal: boolean; rowsInFile: number } {
  const wal = existsSync(`${db}.wal`);
  if (wal) renameSync(`${db}.wal`, `${db}.wal.aside`);
  return { wal, rowsInFile: rowsInFile(db) };
}

function rowsInFile(db: string): number {
  const script = "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True).execute('select count(*) from t').fetchone()[0])";
  try {
    return Number(execFileSync(python, ["-c", script, db], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] }).trim());
  } catch {
    return -1; // no table t in the file itself: the rows were only in the .wal
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
