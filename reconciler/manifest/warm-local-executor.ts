/**
 * Warm manifest generation with a host interpreter (issue 14): one long-lived
 * `sluice_manifest.py --serve --keep-tmp` process per host venv, dlt imported once, each generation
 * in a fresh fork of it chdir'ed to the workspace, with the cold process's environment (the
 * server's own: `wrapperEnv`, the same bytecode cache). Like the cold local executor it has no
 * memory limit or network fence; a fork that hangs past its timeout is killed with what it
 * started, and a crashing one takes only itself down. The server ends with the daemon (SIGTERM at
 * close; it also exits when its parent is gone after a kill -9).
 */
import { spawn } from "node:child_process";
import type { ManifestExecutor } from "./executor.js";
import { prepareHostInterpreter, wrapperEnv, type LocalExecutorOptions } from "./local-executor.js";
import { WarmWorker, WarmWorkers, type WarmServer } from "./warm-worker.js";
import { WRAPPER_SCRIPT_PATH } from "./wrapper-script.js";

export interface WarmLocalExecutorOptions extends LocalExecutorOptions {
  /** Where the control folders go (one per warm server). */
  controlRoot: string;
  /** A server with no request for this long is stopped (default 10 minutes). */
  idleMs?: number;
}

export interface WarmLocalManifestExecutor extends ManifestExecutor {
  /** Stops every warm server (daemon stop). */
  close(): Promise<void>;
}

export function createWarmLocalManifestExecutor(options: WarmLocalExecutorOptions): WarmLocalManifestExecutor {
  const workers = new WarmWorkers();
  const env = wrapperEnv(options.env ?? process.env, options.pycacheDir);
  return {
    kind: "local",
    prepare: (workspaceDir, onProgress) =>
      prepareHostInterpreter(options, workspaceDir, onProgress, (python) => (run) =>
        workers
          .get(python, (onIdle) =>
            new WarmWorker({
              controlRoot: options.controlRoot,
              where: `with ${python}`,
              onIdle,
              start: (control) => startHostServer(python, control, env),
              ...(options.idleMs === undefined ? {} : { idleMs: options.idleMs }),
            }),
          )
          .generate(workspaceDir, run.args, run.timeoutMs),
      ),
    close: () => workers.close(),
  };
}

/** Grace for a stopping server to kill its fork and exit before SIGKILL. */
const STOP_GRACE_MS = 2_000;

async function startHostServer(python: string, control: string, env: NodeJS.ProcessEnv): Promise<WarmServer> {
  const child = spawn(python, [WRAPPER_SCRIPT_PATH, "--serve", control, "--keep-tmp"], { cwd: control, env, stdio: "ignore" });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  }).then(() => {
    exited = true;
  });
  return {
    alive: () => !exited,
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const grace = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exit;
      clearTimeout(grace);
    },
  };
}
