/**
 * When replacements for handed-over warm interpreters or containers start (both executors).
 *
 * A replacement imports dlt: about 0.6 s of a core, plus, locally, the spawn on the daemon's own
 * thread. Started at the hand-off, or when the run that took a warm one ends, it competes with the
 * moments a chain of jobs is waiting on: the upstream's end (CPython's finalisation) and the
 * downstream's start. In Run D the second hop of ingest → transform → report took 0.47 s (local)
 * and 0.66 s (Docker) against 0.30 / 0.33 s for the first. So:
 * - a run that started cold (none was there for it: the first run after a deploy or a restart)
 *   fills the pool at once;
 * - a run that took the last warm one starts ONE replacement at once (the next run like it would
 *   otherwise start cold), and the pool is topped up as below;
 * - else it waits for the run to end (at most `maxWaitMs` after the hand-off, for long runs), and
 *   then for the executor to be quiet: no run started or ended for `quietMs`, at most `maxWaitMs`
 *   more. The next job of a chain is handed a waiting one meanwhile (three wait per target).
 * Topping the pool up at once after a warm hand-off started three imports together beside the run
 * that took the last one (2026-12-02: that run's finalisation took 0.6–0.8 s instead of 0.3 s on
 * 2 cores). After a cold start one at a time was too few: the third job of the first chain waited
 * 0.8 s for the one replacement of the second.
 */

/** What a refill may start: `1` (the one replacement a run needs at once), or all the pool lacks. */
export type RefillCount = 1 | "top-up";

/** How many to start now for a target with `waiting` of `perTarget` ready or starting. */
export function refillSize(perTarget: number, waiting: number, count: RefillCount): number {
  return Math.max(0, Math.min(perTarget - waiting, count === 1 ? 1 : perTarget));
}

/** How a run started: cold, or handed to a warm one with `othersWaiting` left for runs like it. */
export type RunStart = "cold" | { othersWaiting: number };

export interface RefillTiming {
  /** No run start or end for this long: pending replacements start (default 500 ms). */
  quietMs?: number;
  /** The longest a replacement waits for its run's end, and then for quiet (default 5 s each). */
  maxWaitMs?: number;
}

export interface Refills {
  /** A run has started (call at its hand-off or cold start): schedules `refill` as above and postpones the pending ones. */
  runStarted(start: RunStart, runEnded: Promise<unknown>, refill: (count: RefillCount) => void): void;
  /** Drops pending replacements (executor closed). */
  close(): void;
}

export function createRefills(timing: RefillTiming = {}): Refills {
  const quietMs = timing.quietMs ?? 500;
  const maxWaitMs = timing.maxWaitMs ?? 5_000;
  let pending: Array<() => void> = [];
  let firstPendingAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const flush = () => {
    timer = undefined;
    const due = pending;
    pending = [];
    for (const refill of due) refill();
  };
  /** Something happened: pending replacements wait for quiet again, never past maxWaitMs. */
  const activity = () => {
    if (pending.length === 0) return;
    clearTimeout(timer);
    const left = firstPendingAt + maxWaitMs - Date.now();
    timer = setTimeout(flush, Math.max(0, Math.min(quietMs, left)));
    timer.unref();
  };
  const add = (refill: () => void) => {
    if (closed) return;
    if (pending.length === 0) firstPendingAt = Date.now();
    pending.push(refill);
    activity();
  };
  return {
    runStarted(start, runEnded, refill) {
      activity();
      const ended = runEnded.catch(() => undefined);
      void ended.then(activity);
      if (start === "cold") {
        // the pool fills now; nothing is left for later (a later top-up would replace the
        // interpreter the next run takes while that run goes on)
        setImmediate(() => !closed && refill("top-up"));
        return;
      }
      if (start.othersWaiting === 0) setImmediate(() => !closed && refill(1));
      void endedOrCapped(ended, maxWaitMs).then(() => add(() => refill("top-up")));
    },
    close() {
      closed = true;
      clearTimeout(timer);
      pending = [];
    },
  };
}

/** Settles when `ended` does, or after `capMs`, whichever is first; the cap's timer goes with the end. */
function endedOrCapped(ended: Promise<unknown>, capMs: number): Promise<void> {
  return new Promise((resolve) => {
    const cap = setTimeout(resolve, capMs);
    cap.unref();
    void ended.then(() => {
      clearTimeout(cap);
      resolve();
    });
  });
}
