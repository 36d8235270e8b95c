/** The read side of "why is this job waiting, and since when" (docs/scheduling.md). */
import type { Scheduler } from "./engine.js";
import { triggerKey } from "./due-keys.js";
import { iso } from "./format.js";

export interface WaitingEntry {
  jobRef: string;
  kind: "concurrency" | "freshness" | "window" | "downtime";
  reason: string;
  sinceMs: number;
}

export function waitingEntries(scheduler: Scheduler): WaitingEntry[] {
  const out: WaitingEntry[] = [];
  for (const job of scheduler.jobs.values()) {
    const { jobRef } = job;
    const queued = scheduler.pending.get(jobRef);
    if (queued) out.push({ jobRef, kind: "concurrency", reason: queued.reason ?? "queued", sinceMs: queued.sinceMs });
    const held = scheduler.held.get(jobRef);
    if (held) out.push({ jobRef, kind: "freshness", reason: held.reason, sinceMs: held.sinceMs });
    const note = scheduler.catchUpNotes.get(jobRef);
    if (note) out.push({ jobRef, kind: "downtime", reason: note.reason, sinceMs: note.sinceMs });
    const next = scheduler.nextFireOf(job);
    if (next !== null) {
      const lastFire = scheduler.triggerStates.get(triggerKey(jobRef, next.trigger))?.lastFireMs ?? null;
      out.push({
        jobRef,
        kind: "window",
        reason: `window not closed yet: next run at ${iso(next.atMs)} (${next.trigger})`,
        sinceMs: scheduler.watermarks.get(jobRef) ?? lastFire ?? scheduler.clock.now(),
      });
    }
  }
  return out;
}
