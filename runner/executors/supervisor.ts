/**
 * Follows one run process, whatever runs it (local subprocess or container): enforces the
 * timeout, performs the stop sequence — exactly one SIGTERM, SIGKILL when the grace period
 * runs out — and turns the exit into an outcome. Time comes from a Clock so the sequence can be
 * tested without waiting.
 */
import type { Clock, TimerHandle } from "../../core/index.js";
import { mapRunOutcome, type MappedOutcome, type ProcessExit, type StopCause } from "./outcome.js";
import type { PreparedRun } from "./prepare-run.js";

export type StopSignal = "SIGTERM" | "SIGKILL";

/** The minimum an executor provides about a started process. */
export interface SupervisedProcess {
  /** Delivers a signal; must not throw when the process is already gone. */
  signal(signal: StopSignal): Promise<void>;
  /** Settles once when the process has ended; never rejects. */
  readonly exited: Promise<ProcessExit>;
}

export interface RunOutcome extends MappedOutcome {
  runId: string;
  exitCode: number | null;
  signal: string | null;
  startedMs: number;
  endedMs: number;
  durationMs: number;
  stopCause: StopCause | null;
  termSentMs: number | null;
  killSentMs: number | null;
  /** Last log lines, for the run record. */
  lastLines: string[];
}

export interface SupervisorOptions {
  runId: string;
  clock: Clock;
  /** When the process started; for re-attached runs the original start, so timeouts count from there. */
  startedMs: number;
  /** Wall-clock limit; absent ⇒ none (interactive services use an idle timeout instead). */
  timeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL used by timeouts and by `stop()` without an explicit value. */
  graceMs: number;
  lastLines?: () => string[];
  onSignal?: (signal: StopSignal, cause: StopCause) => void;
}

export interface SupervisedRun {
  readonly runId: string;
  readonly outcome: Promise<RunOutcome>;
  /** Starts the stop sequence; false when one is already under way or the process has ended. */
  stop(cause: StopCause, graceMs?: number): boolean;
  /** SIGKILL now. */
  kill(cause?: StopCause): void;
  /** Called once, synchronously with the end of the process (before `outcome` settles). */
  onExit(callback: (outcome: RunOutcome) => void): void;
  /** True between the SIGTERM and the end of the process. */
  isStopping(): boolean;
  /** Where the process runs, once the executor knows (`container … on this machine`, `pod … on node …`). */
  readonly placement?: Promise<string>;
}

export function superviseRun(process: SupervisedProcess, options: SupervisorOptions): SupervisedRun {
  const { clock } = options;
  let stopCause: StopCause | null = null;
  let termSentMs: number | null = null;
  let killSentMs: number | null = null;
  let ended = false;
  let final: RunOutcome | undefined;
  let timeoutTimer: TimerHandle | undefined;
  let graceTimer: TimerHandle | undefined;
  const exitCallbacks: Array<(outcome: RunOutcome) => void> = [];

  const send = (signal: StopSignal, cause: StopCause) => {
    options.onSignal?.(signal, cause);
    void process.signal(signal).catch(() => undefined);
  };

  const kill = (cause: StopCause = "runtime") => {
    if (ended || killSentMs !== null) return;
    stopCause ??= cause;
    killSentMs = clock.now();
    graceTimer?.cancel();
    send("SIGKILL", stopCause);
  };

  const stop = (cause: StopCause, graceMs = options.graceMs) => {
    if (ended || termSentMs !== null || killSentMs !== null) return false;
    stopCause = cause;
    termSentMs = clock.now();
    timeoutTimer?.cancel();
    send("SIGTERM", cause);
    graceTimer = clock.setTimer(termSentMs + graceMs, () => kill(cause));
    return true;
  };

  if (options.timeoutMs !== undefined) {
    timeoutTimer = clock.setTimer(options.startedMs + options.timeoutMs, () => stop("timeout"));
  }

  const outcome = process.exited.then((exit) => {
    ended = true;
    timeoutTimer?.cancel();
    graceTimer?.cancel();
    const result = toOutcome(options, exit, clock.now(), { stopCause, termSentMs, killSentMs });
    final = result;
    for (const callback of exitCallbacks.splice(0)) notify(callback, result);
    return result;
  });

  return {
    runId: options.runId,
    outcome,
    stop,
    kill,
    onExit(callback) {
      if (final) notify(callback, final);
      else exitCallbacks.push(callback);
    },
    isStopping: () => termSentMs !== null && !ended,
  };
}

function toOutcome(
  options: SupervisorOptions,
  exit: ProcessExit,
  endedMs: number,
  stopping: Pick<RunOutcome, "stopCause" | "termSentMs" | "killSentMs">,
): RunOutcome {
  return {
    runId: options.runId,
    ...mapRunOutcome(exit, stopping.stopCause ?? undefined),
    exitCode: exit.exitCode,
    signal: exit.signal ?? null,
    startedMs: options.startedMs,
    endedMs,
    durationMs: Math.max(0, endedMs - options.startedMs),
    ...stopping,
    lastLines: options.lastLines?.() ?? [],
  };
}

function notify(callback: (outcome: RunOutcome) => void, outcome: RunOutcome): void {
  try {
    callback(outcome);
  } catch {
    // a listener never breaks the run's bookkeeping
  }
}

/** A run an executor follows again after a restart: its id, job, labels (workspace, profile, data snapshot of a reader…) and the supervised run. */
export interface AdoptedRunBase {
  runId: string;
  jobRef: string;
  labels: Record<string, string>;
  run: SupervisedRun;
}

/**
 * The shape every executor that outlives a daemon restart has (Docker, Kubernetes Jobs, Kubernetes
 * services): start a run, follow one again by id, adopt all at boot, let go of all at a stop.
 */
export interface RecoveringExecutor<Adopted extends AdoptedRunBase> {
  start(run: PreparedRun): Promise<SupervisedRun>;
  /** Follows again the run `runId` if its container, Job or pod exists (running or ended). */
  adopt(runId: string): Promise<Adopted | null>;
  /** At boot: adopts every run this Sluice left behind. */
  recoverAll(): Promise<Adopted[]>;
  /**
   * Daemon stop: stops following every run and leaves it running; the next start adopts them
   * (nothing more is logged, removed or reported). Settles once what the executor keeps besides
   * runs (warm containers) is gone.
   */
  detach(): void | Promise<void>;
}

/** The exit of a run after `detach()`: never settles, so this daemon records, logs and removes nothing. */
export function leftToNextDaemon(): Promise<never> {
  return new Promise<never>(() => undefined);
}

/** A timer that does not keep the process alive. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
