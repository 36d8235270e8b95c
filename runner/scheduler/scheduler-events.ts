/** Typed events the scheduler emits (core/events.ts: a throwing listener never breaks it). */
import type { EndedRun, QueuedRun, RunningRun, SkippedRun } from "./run-state.js";

export const RUN_OUTCOMES = ["succeeded", "failed", "timed_out", "cancelled"] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

export interface DeployChange {
  jobRef: string;
  status: "added" | "updated" | "unchanged" | "archived";
  /** True for `added` when an archived record with this ref came back. */
  revived?: boolean;
}

export interface SchedulerEventMap {
  "run:queued": { run: QueuedRun };
  "run:skipped": { run: SkippedRun };
  "run:started": { run: RunningRun };
  "run:finished": { run: EndedRun; outcome: RunOutcome };
  /** A timed trigger fired (scheduledMs = its due instant, atMs = when it was processed). */
  "trigger:fired": { jobRef: string; trigger: string; scheduledMs: number; atMs: number };
  /** Ticks were missed (daemon down, or a late timer); the next run's window covers them. */
  "trigger:missed": { jobRef: string; trigger: string; missedFromMs: number; nextFireMs: number; reason: string };
  "refresh:cleared": { rootRef: string; cleared: string[]; atMs: number };
  "refresh:ignored": { jobRef: string; reason: string; atMs: number };
  "deploy:applied": { changes: DeployChange[]; atMs: number };
  /** An evaluation for one job failed; the loop went on with the others. */
  "job:error": { jobRef: string; step: string; message: string; atMs: number };
}
