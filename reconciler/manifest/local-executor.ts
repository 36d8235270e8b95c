/** Runs the wrapper with a host interpreter (a venv on this machine), cwd = the workspace. */
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { SluiceError } from "../../core/index.js";
import type { ManifestExecutor, PreparedInterpreter, ProgressSink, WrapperRun } from "./executor.js";
import type { ProcessOutput } from "./wrapper-output.js";
import { WRAPPER_ENV, WRAPPER_SCRIPT_PATH } from "./wrapper-script.js";

export interface HostInterpreter {
  pythonPath: string;
  pythonVersion?: string;
  reused: boolean;
}

export interface LocalExecutorOptions {
  /** Finds or builds the host venv for a workspace (runner's ensureHostVenv in production). */
  ensureInterpreter: (workspaceDir: string, onProgress?: ProgressSink) => Promise<HostInterpreter>;
  env?: NodeJS.ProcessEnv;
  /**
   * Bytecode cache (PYTHONPYCACHEPREFIX) outside the workspace and the venv. Host venvs hold no
   * bytecode, so without it every generation compiles dlt, marimo & co. from source (~3× slower).
   * Absent: no bytecode is written.
   */
  pycacheDir?: string;
}

export function createLocalManifestExecutor(options: LocalExecutorOptions): ManifestExecutor {
  return {
    kind: "local",
    prepare: (workspaceDir, onProgress) =>
      prepareHostInterpreter(options, workspaceDir, onProgress, (python) => (run) => runProcess(python, [WRAPPER_SCRIPT_PATH, ...run.args], workspaceDir, run, wrapperEnv(options.env ?? process.env, options.pycacheDir))),
  };
}

/** The workspace's host interpreter, found or built, and how a generation runs with it (cold or warm). */
export async function prepareHostInterpreter(
  options: LocalExecutorOptions,
  workspaceDir: string,
  onProgress: ProgressSink | undefined,
  runnerFor: (pythonPath: string) => PreparedInterpreter["runWrapper"],
): Promise<PreparedInterpreter> {
  const started = performance.now();
  const interpreter = await options.ensureInterpreter(workspaceDir, onProgress);
  return {
    info: {
      executor: "local",
      pythonPath: interpreter.pythonPath,
      reused: interpreter.reused,
      prepareMs: Math.round(performance.now() - started),
      pythonVersion: interpreter.pythonVersion ?? "unknown",
    },
    workspaceRoot: workspaceDir,
    runWrapper: runnerFor(interpreter.pythonPath),
  };
}

/** A fixed interpreter, e.g. a venv made by hand or by tests. */
export function fixedInterpreter(pythonPath: string): LocalExecutorOptions["ensureInterpreter"] {
  return async () => ({ pythonPath, reused: true });
}

/** With a cache dir, bytecode goes there only (never next to the workspace's or the venv's sources). */
export function wrapperEnv(base: NodeJS.ProcessEnv, pycacheDir: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...WRAPPER_ENV };
  if (pycacheDir === undefined) return env;
  delete env.PYTHONDONTWRITEBYTECODE;
  env.PYTHONPYCACHEPREFIX = pycacheDir;
  return env;
}

/** How long the output may still come after the process has exited. */
const DRAIN_MS = 2_000;

function runProcess(command: string, args: string[], cwd: string, run: WrapperRun, env: NodeJS.ProcessEnv): Promise<ProcessOutput> {
  return new Promise((resolvePromise, reject) => {
    // its own process group: what the generation starts and leaves running is killed when it ends,
    // as a container's end and a warm fork's do (and no longer holds the pipes open)
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // nothing left in the group
      }
    };
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, run.timeoutMs);
    child.on("exit", (code, signal) => {
      killGroup();
      // a process that left the group (setsid) may still hold the pipes: the result does not wait for it
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, signal);
      }, DRAIN_MS).unref();
    });
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(
        new SluiceError("python_not_found", `cannot start the workspace interpreter ${command}: ${error.message}`, {
          hint: "check that the host venv exists, or run without --local to use the Docker environment",
          cause: error,
        }),
      );
    });
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      resolvePromise({
        // killed by a signal: 128 + N, as a container's exit code and a warm fork's status read
        exitCode: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1),
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        timedOut,
      });
    };
    child.on("close", finish);
  });
}
