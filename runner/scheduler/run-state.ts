/**
 * A run's lifecycle as a closed set of statuses with one guarded transition function.
 *
 *   pending ──► starting ──► running ──► completed | failed | cancelled
 *      │            │
 *      └► skipped   └► failed | cancelled        (skipped is also created directly)
 *
 * `pending` = held by the concurrency limit (one coalesced run per job); `skipped` = a
 * trigger that was evaluated but did not start a run (freshness gate, empty declared
 * interval, coalesced into a pending run, job archived). Skipped entries never count as
 * runs for follow-ups.
 */
import { SluiceError } from "../../core/index.js";

export const RUN_STATUSES = ["pending", "starting", "running", "completed", "failed", "cancelled", "skipped"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(["completed", "failed", "cancelled", "skipped"]);
export const ACTIVE_STATUSES: ReadonlySet<RunStatus> = new Set(["starting", "running"]);

const ALLOWED: Record<RunStatus, readonly RunStatus[]> = {
  pending: ["starting", "skipped", "cancelled"],
  starting: ["running", "failed", "cancelled"],
  running: ["completed", "failed", "cancelled"],
  completed: [],
  failed: [],
  cancelled: [],
  skipped: [],
};

/**
 * Why the runtime stopped a run; drives the status and the follow-up event (spec §7, §11).
 * `idle`: an interactive service stopped after its idle timeout (a normal end: `completed`).
 */
export const CANCEL_CAUSES = ["timeout", "user", "runtime", "idle"] as const;
export type CancelCause = (typeof CANCEL_CAUSES)[number];

/** What every run record has, whatever its status. */
interface RunFacts {
  runId: string;
  /** The job's key (`<workspace>/<job_ref>`, or the bare ref without a workspace). */
  jobRef: string;
  /** The job's own run number: 1, 2, 3 … per job, kept across restarts. */
  number: number;
  /** The profile the run was asked to use (`trigger --profile`); null = the job's own resolution. */
  profile: string | null;
  /** Trigger string that caused the run (after the manual → default trigger swap). */
  trigger: string;
  /** Why the run is in this status (waiting, skipped, failed, cancelled); null when nothing to say. */
  reason: string | null;
  /** Instant the current status was entered ("since when"). */
  sinceMs: number;
  createdMs: number;
  /** The run's interval (both set, or both null: the job declares none). */
  intervalStartMs: number | null;
  intervalEndMs: number | null;
  refresh: boolean;
  deploymentVersion: number | null;
}

/** No process has run yet (or ever will): nothing started, ended or exited. */
interface NoProcess {
  startedMs: null;
  finishedMs: null;
  exitCode: null;
  cancelCause: null;
}

/** Held by the concurrency limit (one coalesced run per job). */
export type QueuedRun = RunFacts & NoProcess & { status: "pending" };
/** A trigger that was evaluated but did not start a run. */
export type SkippedRun = RunFacts & NoProcess & { status: "skipped" };
/** Handed to the executor, its process not yet confirmed. */
export type StartingRun = RunFacts & NoProcess & { status: "starting" };
/** Its process runs since `startedMs`. */
export type RunningRun = RunFacts & { status: "running"; startedMs: number; finishedMs: null; exitCode: null; cancelCause: null };
/**
 * Ended at `finishedMs`. `startedMs` is null when it never ran (failed to start, cancelled while
 * starting or queued); `exitCode` is null without a process exit; `cancelCause` says what stopped it.
 */
export type EndedRun = RunFacts & {
  status: "completed" | "failed" | "cancelled";
  startedMs: number | null;
  finishedMs: number;
  exitCode: number | null;
  cancelCause: CancelCause | null;
};

/** A run record: which fields are set follows from its status. */
export type RunRecord = QueuedRun | SkippedRun | StartingRun | RunningRun | EndedRun;
/** A run the engine follows (between `starting` and its end). */
export type LiveRunRecord = StartingRun | RunningRun;
/** A run not yet ended: what a restarted daemon picks up. */
export type OpenRun = QueuedRun | LiveRunRecord;

/** `Omit` over each member of a union (the built-in one merges the members). */
export type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What may change besides the status when a run is skipped or starts. */
export type RunPatch = Partial<Pick<RunFacts, "reason" | "intervalStartMs" | "intervalEndMs" | "refresh" | "trigger">>;

/** What a run's end records. */
export interface RunEnd {
  exitCode: number | null;
  reason: string | null;
  cancelCause: CancelCause | null;
}

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** Throws on an illegal transition, naming the current state (the types rule most out; a stored record can still be stale). */
function checkTransition(run: RunRecord, to: RunStatus): void {
  if (canTransition(run.status, to)) return;
  throw new SluiceError(
    "illegal_run_transition",
    `Run ${run.runId} of ${run.jobRef} cannot go from '${run.status}' to '${to}'`,
    { hint: `Allowed from '${run.status}': ${ALLOWED[run.status].join(", ") || "none (terminal)"}`, details: { job: run.jobRef } },
  );
}

/** A queued run handed to the executor. */
export function startingRun(run: QueuedRun, atMs: number, patch: RunPatch = {}): StartingRun {
  checkTransition(run, "starting");
  return { ...run, ...patch, status: "starting", sinceMs: atMs };
}

/** A queued run that will not run (freshness, empty interval, job archived). */
export function skippedRun(run: QueuedRun, atMs: number, patch: RunPatch = {}): SkippedRun {
  checkTransition(run, "skipped");
  return { ...run, ...patch, status: "skipped", sinceMs: atMs };
}

/** The executor confirmed the run's process at `atMs` (a run already running throws). */
export function runningRun(run: LiveRunRecord, atMs: number): RunningRun {
  checkTransition(run, "running");
  return { ...run, status: "running", sinceMs: atMs, startedMs: atMs };
}

/** The run's end at `atMs`: its process exited, or it was cancelled before it had one. */
export function endedRun(run: OpenRun, status: EndedRun["status"], atMs: number, end: RunEnd): EndedRun {
  checkTransition(run, status);
  return { ...run, ...end, status, sinceMs: atMs, finishedMs: atMs };
}

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

type NewStatus = "pending" | "starting" | "skipped";

/** A fresh record for `jobRef` entering `status` at `atMs` (no window, no process yet); the store assigns the id and number. */
export function newRunRecord<S extends NewStatus>(jobRef: string, trigger: string, status: S, reason: string | null, atMs: number): Omit<Extract<RunRecord, { status: S }>, "runId" | "number"> {
  const record = {
    jobRef,
    profile: null,
    trigger,
    status,
    reason,
    sinceMs: atMs,
    createdMs: atMs,
    startedMs: null,
    finishedMs: null,
    intervalStartMs: null,
    intervalEndMs: null,
    refresh: false,
    exitCode: null,
    cancelCause: null,
    deploymentVersion: null,
  };
  return record as unknown as Omit<Extract<RunRecord, { status: S }>, "runId" | "number">;
}
