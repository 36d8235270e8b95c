/**
 * Adapts the Docker or local executor to the scheduler's `Executor` interface. The scheduler owns
 * timeouts and the SIGKILL after grace (so the wrapped executor should not enforce timeouts);
 * this adapter adds what the scheduler's `RunSpec` does not carry: the workspace, secrets,
 * profile, data dir and, for interactive jobs, the run args.
 */
import type { Clock } from "../../core/index.js";
import type { Executor, RunExit, RunHandle, RunSpec } from "../scheduler/index.js";
import type { RunArgs } from "./entry-point.js";
import { asRunnableJob, type RunnableJob } from "./job-shape.js";
import { prepareRun, type PrepareContext, type PreparedRun, type WorkspaceRef } from "./prepare-run.js";
import type { RunOutcome, SupervisedRun } from "./supervisor.js";

export interface StartsRuns {
  start(run: PreparedRun): Promise<SupervisedRun>;
  adopt?(runId: string): Promise<{ run: SupervisedRun } | null>;
  /** Why a run that was active when the daemon stopped is gone at the next start (see `Executor.lostReason`). */
  readonly lostReason?: string;
}

export interface SchedulerExecutorOptions {
  executor: StartsRuns;
  clock: Clock;
  context: PrepareContext;
  /** The deployed checkout a job belongs to. */
  workspaceOf: (spec: RunSpec) => WorkspaceRef;
  /** Port and base path for interactive runs (may pick a free port). */
  runArgsFor?: (spec: RunSpec, job: RunnableJob, workspace: WorkspaceRef) => RunArgs | undefined | Promise<RunArgs | undefined>;
  /** Called once a run's process started (e.g. the proxy registers an interactive service). */
  onStarted?: (spec: RunSpec, run: PreparedRun, supervised: SupervisedRun) => void;
  /** Called with every outcome (e.g. to store last lines and durations on the run record). */
  onOutcome?: (outcome: RunOutcome) => void;
}

export function createSchedulerExecutor(options: SchedulerExecutorOptions): Executor {
  const wrap = (supervised: SupervisedRun): RunHandle => {
    supervised.onExit((outcome) => options.onOutcome?.(outcome));
    return {
      done: supervised.outcome.then(toRunExit),
      onExit: (callback) => supervised.onExit((outcome) => callback(toRunExit(outcome))),
      stop: (graceMs) => void supervised.stop("runtime", graceMs),
      kill: () => supervised.kill(),
    };
  };
  return {
    async start(spec) {
      const job = asRunnableJob(spec.job);
      const workspace = options.workspaceOf(spec);
      const runArgs = await options.runArgsFor?.(spec, job, workspace);
      const prepared = prepareRun(
        job,
        workspace,
        {
          runId: spec.runId,
          trigger: spec.trigger,
          refresh: spec.refresh,
          interval: { startMs: spec.intervalStartMs, endMs: spec.intervalEndMs },
          ...(spec.profile ? { profileOverride: spec.profile } : {}),
          ...(runArgs ? { runArgs } : {}),
        },
        options.context,
        options.clock.now(),
      );
      const supervised = await options.executor.start(prepared);
      options.onStarted?.(spec, prepared, supervised);
      return wrap(supervised);
    },
    async adopt(runId) {
      const adopted = await options.executor.adopt?.(runId);
      return adopted ? wrap(adopted.run) : null;
    },
    ...(options.executor.lostReason ? { lostReason: options.executor.lostReason } : {}),
  };
}

export function toRunExit(outcome: RunOutcome): RunExit {
  const exit: RunExit = { exitCode: outcome.exitCode, killed: outcome.killSentMs !== null };
  if (outcome.status === "failed" && outcome.reason) exit.message = outcome.reason;
  return exit;
}
