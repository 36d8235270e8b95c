/**
 * The boundary between the scheduler and whatever runs a job (Docker, a local process,
 * or the simulator). The scheduler decides *when* and *with which window*; an executor
 * only starts, stops and reports. Keep this interface small: a real Docker executor
 * implements the same four members.
 */

/** Everything an executor needs to launch one run (launcher.md: entry point + run context). */
export interface RunSpec {
  runId: string;
  jobRef: string;
  /** The trigger string handed to the job as `run_context["trigger"]`. */
  trigger: string;
  refresh: boolean;
  intervalStartMs: number;
  intervalEndMs: number;
  /** `require.timezone` or "UTC": the launcher renders the interval in this zone. */
  intervalTimezone: string;
  /** The job definition as deployed (manifest job object), for the launcher. */
  job: Readonly<Record<string, unknown>>;
  /** The profile the run was asked for (`trigger --profile`); absent = the job's own resolution. */
  profile?: string;
  /** The job's own run number (1, 2, 3 …). */
  number?: number;
}

/** How a run process ended, as seen by the executor. */
export interface RunExit {
  /** Process exit code; null when the process was killed by a signal. */
  exitCode: number | null;
  /** True when the process ended because `kill()` was called (SIGKILL after grace). */
  killed: boolean;
  /** Optional text for the run record (e.g. "container OOM-killed"). */
  message?: string;
}

export interface RunHandle {
  /** Resolves exactly once, when the run's process has ended. Never rejects. */
  readonly done: Promise<RunExit>;
  /**
   * Registers a callback called synchronously when the process ends (before `done`
   * settles). The simulator relies on it so that virtual time never has to wait for
   * the microtask queue. Called at most once.
   */
  onExit(callback: (exit: RunExit) => void): void;
  /** Asks the run to stop (one SIGTERM); the process may still exit cleanly. */
  stop(graceMs: number): void;
  /** Ends the run now (SIGKILL). */
  kill(): void;
}

export interface Executor {
  /** Starts the run. Throwing (or rejecting) means the run never started. */
  start(spec: RunSpec): RunHandle | Promise<RunHandle>;
  /**
   * Called at boot for runs the store still lists as active. Return a handle to keep
   * following a run that survived the restart, or null when it is gone.
   */
  adopt?(runId: string): RunHandle | null | Promise<RunHandle | null>;
  /** Why such a run is gone when `adopt` returns null; recorded as "lost: <lostReason>". */
  readonly lostReason?: string;
}
