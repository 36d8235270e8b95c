/**
 * Starts the service of an interactive job for the proxy: picks a free loopback port, passes it
 * as `run_args.port` with `base_path` = the proxy prefix, and runs the job through an executor.
 * marimo and streamlit honour `base_path`; other launchers (MCP, dashboard, `@run.interactive`
 * functions) get the prefix stripped by the proxy (DECISION, launcher.md §3).
 */
import type { Clock } from "../../core/index.js";
import { Launcher, launcherOf, prepareRun, type PrepareContext, type PreparedRun, type RunArgs, type RunnableJob, type SupervisedRun, type WorkspaceRef } from "../executors/index.js";
import { findFreePort } from "./free-port.js";
import type { StartedService } from "./interactive-services.js";
import { proxyBasePath } from "./reverse-proxy.js";

export interface InteractiveStarterOptions {
  clock: Clock;
  context: PrepareContext;
  executor: { start(run: PreparedRun): Promise<SupervisedRun> };
  /** The deployed interactive job called `job` (short name in the URL) in `workspace`. */
  lookup(workspace: string, job: string): { job: RunnableJob; workspace: WorkspaceRef } | undefined;
  newRunId(): string;
  /** Trigger recorded for proxy-started runs (default `http:`). */
  trigger?: string;
}

const HONOURS_BASE_PATH: ReadonlySet<string> = new Set([Launcher.marimo, Launcher.streamlit]);

export interface ServicePort {
  runArgs: RunArgs;
  port: number;
  /** True when the proxy strips `/w/<workspace>/<job>` (the launcher does not honour base_path). */
  stripPrefix: boolean;
}

/** A free loopback port and the run args an interactive job's launcher gets for it. */
export async function serviceRunArgs(job: RunnableJob, workspaceName: string, jobName: string): Promise<ServicePort> {
  const port = await findFreePort();
  const stripPrefix = !HONOURS_BASE_PATH.has(launcherOf(job.entry_point));
  return { port, stripPrefix, runArgs: stripPrefix ? { port } : { port, base_path: proxyBasePath(workspaceName, jobName) } };
}

/** Idle timeout of a prepared interactive run (its timeout when it declares no idle timeout; 5 min by default). */
export function serviceIdleTimeoutMs(run: PreparedRun): number {
  return run.limits.idleTimeoutMs ?? run.limits.timeoutMs ?? 5 * 60_000;
}

export function createInteractiveStarter(options: InteractiveStarterOptions): (workspace: string, job: string) => Promise<StartedService | undefined> {
  return async (workspaceName, jobName) => {
    const found = options.lookup(workspaceName, jobName);
    if (!found) return undefined;
    const { port, stripPrefix, runArgs } = await serviceRunArgs(found.job, workspaceName, jobName);
    const run = prepareRun(
      found.job,
      found.workspace,
      { runId: options.newRunId(), trigger: options.trigger ?? "http:", refresh: false, runArgs },
      options.context,
      options.clock.now(),
    );
    const supervised = await options.executor.start(run);
    return { run: supervised, port, stripPrefix, idleTimeoutMs: serviceIdleTimeoutMs(run) };
  };
}
