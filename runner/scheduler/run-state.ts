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

export interface RunRecord {
  runId: string;
  /** The job's key (`<workspace>/<job_ref>`, or the bare ref without a workspace). */
  jobRef: string;
  /** The job's own run number: 1, 2, 3 … per job, kept across restarts. */
  number: number;
  /** The profile the run was asked to use (`trigger --profile`); null = the job's own resolution. */
  profile: string | null;
  /** Trigger string that caused the run (after the manual → default trigger swap). */
  trigger: string;
  status: RunStatus;
  /** Why the run is in this status (waiting, skipped, failed, cancelled); null when nothing to say. */
  reason: string | null;
  /** Instant the current status was entered ("since when"). */
  sinceMs: number;
  createdMs: number;
  startedMs: number | null;
  finishedMs: number | null;
  intervalStartMs: number | null;
  intervalEndMs: number | null;
  refresh: boolean;
  exitCode: number | null;
  cancelCause: CancelCause | null;
  deploymentVersion: number | null;
}

export type RunPatch = Partial<Pick<RunRecord, "reason" | "startedMs" | "finishedMs" | "intervalStartMs" | "intervalEndMs" | "refresh" | "exitCode" | "cancelCause" | "trigger">>;

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** The only way a run changes status. Throws on an illegal transition, naming the current state. */
export function transitionRun(run: RunRecord, to: RunStatus, atMs: number, patch: RunPatch = {}): RunRecord {
  if (!canTransition(run.status, to)) {
    throw new SluiceError(
      "illegal_run_transition",
      `Run ${run.runId} of ${run.jobRef} cannot go from '${run.status}' to '${to}'`,
      { hint: `Allowed from '${run.status}': ${ALLOWED[run.status].join(", ") || "none (terminal)"}`, details: { job: run.jobRef } },
    );
  }
  return { ...run, ...patch, status: to, sinceMs: atMs };
}

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** A fresh record for `jobRef` entering `status` at `atMs` (no window, no exit yet); the store assigns the id. */
export function newRunRecord(jobRef: string, trigger: string, status: RunStatus, reason: string | null, atMs: number): Omit<RunRecord, "runId" | "number"> {
  return {
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
}
