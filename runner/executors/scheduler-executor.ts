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
}

export interface SchedulerExecutorOptions {
  executor: StartsRuns;
  clock: Clock;
  context: PrepareContext;
  /** The deployed checkout a job belongs to. */
  workspaceOf: (spec: RunSpec) => WorkspaceRef;
  /** Port and base path for interactive runs. */
  runArgsFor?: (spec: RunSpec, job: RunnableJob) => RunArgs | undefined;
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
      const runArgs = options.runArgsFor?.(spec, job);
      const prepared = prepareRun(
        job,
        options.workspaceOf(spec),
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
      return wrap(await options.executor.start(prepared));
    },
    async adopt(runId) {
      const adopted = await options.executor.adopt?.(runId);
      return adopted ? wrap(adopted.run) : null;
    },
  };
}

export function toRunExit(outcome: RunOutcome): RunExit {
  const exit: RunExit = { exitCode: outcome.exitCode, killed: outcome.killSentMs !== null };
  if (outcome.status === "failed" && outcome.reason) exit.message = outcome.reason;
  return exit;
}
