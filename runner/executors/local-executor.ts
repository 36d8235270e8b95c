/**
 * Runs a job as a subprocess of the daemon with a host virtualenv (no Docker). Same contract as
 * the Docker executor: launcher argv, cwd = workspace root, profile + unbuffered output in the
 * environment, persistent data dirs through DLT_DATA_DIR / DLT_LOCAL_DIR, same stop sequence.
 * By default a run is handed to a warm interpreter with dlt already imported (warm-python.ts)
 * when one matches; otherwise it is started cold.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import type { Clock } from "../../core/index.js";
import { createRunLogWriter, type LogStore, type RunLogWriter } from "../logs/index.js";
import { launcherArgv } from "./entry-point.js";
import type { ProcessExit } from "./outcome.js";
import type { PreparedRun } from "./prepare-run.js";
import { placeSecretsFile } from "./placed-secrets.js";
import { superviseRun, type SupervisedProcess, type SupervisedRun } from "./supervisor.js";
import { createRefills } from "./warm-refills.js";
import { bufferOutput, createWarmPool, isStartupVariable, type RunProcess, type RunSpawn, type WarmPool, type WarmPoolOptions } from "./warm-python.js";

export interface LocalExecutorOptions {
  clock: Clock;
  logStore: LogStore;
  /** Python of the host virtualenv for this run (e.g. from `ensureHostVenv`). */
  pythonFor: (run: PreparedRun) => string | Promise<string>;
  /** Base environment (default: the daemon's); run variables are added on top. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Let the executor enforce `execute.timeout` (off when the scheduler owns the timers). */
  enforceTimeouts?: boolean;
  /** Hand runs to warm interpreters with dlt imported (default true, or the pool's options); false: every run starts cold. */
  warm?: boolean | WarmPoolOptions;
}

export interface LocalExecutor {
  start(run: PreparedRun): Promise<SupervisedRun>;
  /** Ends the idle warm interpreters (runs under way are not touched). */
  close(): void;
  /** The warm interpreters, for tests and benches (undefined when warm is off). */
  readonly warmPool?: WarmPool;
}

/** How long to wait for stdout/stderr to drain after the process has exited (a grandchild may hold them). */
const DRAIN_MS = 2000;

export function createLocalExecutor(options: LocalExecutorOptions): LocalExecutor {
  const warmPool = options.warm === false ? undefined : createWarmPool(options.warm === true ? {} : options.warm);
  const refills = createRefills();
  return {
    ...(warmPool ? { warmPool } : {}),
    close: () => {
      refills.close();
      warmPool?.close();
    },
    async start(run) {
      const python = await options.pythonFor(run);
      const log = createRunLogWriter(options.logStore, run.runId, { redact: run.redact });
      const unplaced = placeSecretsFile(run);
      if (unplaced) log.system(`sluice: ${unplaced}`);
      const env = runEnv(options.baseEnv ?? process.env, run, python);
      const target: RunSpawn = { python, argv: launcherArgv(python, run.entryPoint, run), cwd: run.workspace.dir, env };
      const warm = await warmPool?.take(target);
      const { child, attach } = warm ?? spawnCold(target);
      const startedMs = options.clock.now();
      attach((stream, chunk) => log.push(stream, chunk));
      const exited = drainedExit(child, log);
      if (warmPool) {
        // the next run like this one finds a warm interpreter (a cold start's included)
        const like = { ...target, env: warmEnv(options.baseEnv ?? process.env, env) };
        refills.runStarted(warm ? { othersWaiting: warmPool.waiting(like) } : "cold", exited, (count) => warmPool.prepare(like, count));
      }
      const processHandle: SupervisedProcess = {
        exited,
        async signal(signal) {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        },
      };
      const supervised = superviseRun(processHandle, {
        runId: run.runId,
        clock: options.clock,
        startedMs,
        timeoutMs: options.enforceTimeouts === false ? undefined : run.limits.timeoutMs,
        graceMs: run.limits.graceMs,
        lastLines: () => log.lastLines(),
        onSignal: (signal, cause) => log.system(`sluice: sending ${signal} (${cause})`),
      });
      void supervised.outcome.then(() => options.logStore.end(run.runId));
      return child.pid === undefined ? supervised : { ...supervised, placement: Promise.resolve(`process ${child.pid} on this machine`) };
    },
  };
}

/** The process's exit, once its output is drained (`close`), or DRAIN_MS after the exit if a grandchild keeps the pipes open. */
function drainedExit(child: ChildProcess, log: RunLogWriter): Promise<ProcessExit> {
  return new Promise((resolve) => {
    let exit: ProcessExit | undefined;
    const finish = () => {
      if (!exit) return;
      log.flush();
      resolve(exit);
    };
    child.on("error", (error) => {
      log.system(`could not start the run process: ${error.message}`);
      exit = { exitCode: 127 };
      finish();
    });
    child.on("exit", (code, signal) => {
      exit = { exitCode: code, signal };
      setTimeout(finish, DRAIN_MS).unref();
    });
    child.on("close", finish);
  });
}

function runEnv(base: NodeJS.ProcessEnv, run: PreparedRun, python: string): NodeJS.ProcessEnv {
  const bin = venvBinOf(python);
  return { ...base, ...(bin ? { PATH: withFirstOnPath(bin, base.PATH) } : {}), ...localRunVariables(run, bin) };
}

/**
 * What a local run has on top of the base environment, PATH aside (`bin`, its venv's from
 * `venvBinOf`, goes first on it): `VIRTUAL_ENV` of that venv, the run's variables, and the data
 * dirs. `sluice exec` gives a command the same.
 */
export function localRunVariables(run: PreparedRun, bin: string | undefined): Record<string, string> {
  return {
    ...(bin ? { VIRTUAL_ENV: dirname(bin) } : {}),
    ...run.env,
    // a reader (interactive run) sees a snapshot: dlt opens its DuckDB files read-only (READ_ONLY_ENV in run.env)
    DLT_DATA_DIR: run.dataView?.var ?? join(run.dataDir, "var"),
    DLT_LOCAL_DIR: run.dataView?.local ?? join(run.dataDir, "local"),
  };
}

/**
 * The `bin` of the venv `python` belongs to, first on PATH as the Docker images have theirs: dlt's
 * marimo, streamlit and MCP launchers exec their program by name (`os.execvp("marimo", …)`).
 * Undefined for an interpreter outside a venv.
 */
export function venvBinOf(python: string): string | undefined {
  const bin = dirname(python);
  return isAbsolute(python) && existsSync(join(dirname(bin), "pyvenv.cfg")) ? bin : undefined;
}

export function withFirstOnPath(dir: string, path: string | undefined): string {
  return path ? `${dir}${delimiter}${path}` : dir;
}

/**
 * A waiting interpreter starts with the base environment and the run's start-up variables only
 * (PYTHONUNBUFFERED…): nothing of one run (profile, data dirs, run variables) is in the start
 * environment of the process that becomes the next run.
 */
function warmEnv(base: NodeJS.ProcessEnv, run: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...base, ...Object.fromEntries(Object.entries(run).filter(([name]) => isStartupVariable(name))) };
}

function spawnCold(target: RunSpawn): RunProcess {
  const child = spawn(target.argv[0] ?? target.python, target.argv.slice(1), { cwd: target.cwd, env: target.env, stdio: ["ignore", "pipe", "pipe"] });
  return { child, attach: bufferOutput(child).attach, warm: false };
}
