/**
 * Timed triggers (`schedule:`, `every:`, `once:`): their durable state, their entry in the
 * due-queue, and what happens when one fires. The next fire is computed from
 * max(now, scheduled instant), so a clock jumping backwards never fires a tick twice; a late
 * wake folds the missed ticks into one run and says so.
 */
import { nextFireTime } from "./deps.js";
import { dispatch } from "./dispatch.js";
import { fireKey, triggerKey } from "./due-keys.js";
import type { EngineContext } from "./engine-context.js";
import { iso } from "./format.js";
import type { StoredTrigger } from "./store/scheduler-store.js";

/** Writes the trigger's state and (re)places or removes its due entry. */
export function saveTrigger(ctx: EngineContext, state: StoredTrigger): void {
  ctx.store.saveTrigger(state);
  ctx.triggerStates.set(triggerKey(state.jobRef, state.trigger), state);
  const key = fireKey(state.jobRef, state.trigger);
  if (state.active && state.nextFireMs !== null && !(state.onceFired && state.trigger.startsWith("once:"))) {
    ctx.queue.set(key, state.nextFireMs);
  } else {
    ctx.queue.delete(key);
  }
}

export function fireTimed(ctx: EngineContext, jobRef: string, raw: string, scheduledMs: number): void {
  const job = ctx.jobs.get(jobRef);
  const state = ctx.triggerStates.get(triggerKey(jobRef, raw));
  const trigger = job?.timedTriggers.find((t) => t.raw === raw);
  if (!job || !state || !trigger || !state.active) return;
  const now = ctx.clock.now();
  if (trigger.type === "once" && state.onceFired) return;
  const next =
    trigger.type === "once" ? null : nextFireTime(trigger, Math.max(now, scheduledMs), job.timezone, scheduledMs);
  const updated: StoredTrigger = {
    ...state,
    lastFireMs: scheduledMs,
    nextFireMs: next,
    onceFired: state.onceFired || trigger.type === "once",
  };
  ctx.events.emit("trigger:fired", { jobRef, trigger: raw, scheduledMs, atMs: now });
  if (trigger.type !== "once" && nextFireTime(trigger, scheduledMs, job.timezone, scheduledMs) < now) {
    // woke late (host asleep, loop blocked): this one run's window folds in the ticks in between
    const reason = `covers ticks missed since ${iso(scheduledMs)} (the scheduler woke late)`;
    ctx.catchUpNotes.set(jobRef, { reason, sinceMs: scheduledMs });
    ctx.events.emit("trigger:missed", { jobRef, trigger: raw, missedFromMs: scheduledMs, nextFireMs: next ?? now, reason });
  }
  ctx.store.transaction(() => {
    saveTrigger(ctx, updated);
    dispatch(ctx, job, raw, "timed");
  });
}
