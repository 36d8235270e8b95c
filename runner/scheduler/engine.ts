/**
 * The stateful scheduler: one clock timer for the earliest due thing (a trigger fire, a
 * run timeout, a kill after grace), a durable store written one transaction per state
 * change, and an Executor that runs what is decided. Daemon and simulator use this same
 * class; only the Clock and the Executor differ. Decisions are in docs/scheduling.md.
 */
import type { Clock, Logger, TimerHandle } from "../../core/index.js";
import { SluiceError, TypedEvents, errorText, silentLogger } from "../../core/index.js";
import type { TimedTrigger } from "../../schemas/trigger-types.js";
import { compileJob, type CompiledJob, type JobDefinition, type TriggerCache } from "./compiled-job.js";
import { computeRunWindow, nextFireTime, parseTrigger, refreshCascadeTargets } from "./deps.js";
import { DueQueue } from "./due-queue.js";
import type { CascadeJob } from "./deps.js";
import type { Executor, RunExit, RunHandle, RunSpec } from "./executor.js";
import { applyDeployment, type DeployContext, type DeployInput, type DeployResult } from "./deploy.js";
import { iso } from "./format.js";
import { previewNextFires, type FirePreview } from "./preview.js";
import { checkJobFreshness, type FreshnessGate } from "./freshness-gate.js";
import { waitingEntries, type WaitingEntry } from "./waiting.js";
import { planRestoredTrigger } from "./restart-plan.js";
import { classifyExit, followUpEvent } from "./run-outcome.js";
import type { CancelCause, RunRecord, RunStatus } from "./run-state.js";
import { transitionRun } from "./run-state.js";
import type { SchedulerEventMap } from "./scheduler-events.js";
import type { HeldRetry, SchedulerStore, StoredTrigger } from "./store/scheduler-store.js";

export interface SchedulerOptions {
  clock: Clock;
  store: SchedulerStore;
  executor: Executor;
  logger?: Logger;
}

/** Why a dispatch happens; only timed dispatches are skipped for an empty declared interval. */
export type DispatchCause = "timed" | "event" | "manual" | "deployment" | "retry" | "queued";

interface LiveRun {
  run: RunRecord;
  job: CompiledJob;
  handle: RunHandle | undefined;
  timedOut: boolean;
  cancelCause: CancelCause | null;
}

export const META_LAST_ALIVE = "last_alive_ms";
export type { WaitingEntry };

export class Scheduler {
  readonly events: TypedEvents<SchedulerEventMap>;
  readonly clock: Clock;
  readonly store: SchedulerStore;
  private readonly executor: Executor;
  private readonly log: Logger;

  /** Active jobs (selectable, with triggers registered). */
  readonly jobs = new Map<string, CompiledJob>();
  /** Every job ever deployed, archived ones included (for in-flight runs and revivals). */
  readonly known = new Map<string, CompiledJob>();
  readonly watermarks = new Map<string, number | null>();
  readonly triggerStates = new Map<string, StoredTrigger>();
  readonly pending = new Map<string, RunRecord>();
  readonly held = new Map<string, HeldRetry>();
  /** One-shot note for a job's next run: the ticks it folds in were missed while down. */
  readonly catchUpNotes = new Map<string, { reason: string; sinceMs: number }>();
  private readonly queue = new DueQueue();
  private readonly parsedTriggers: TriggerCache = new Map();
  private readonly live = new Map<string, LiveRun>();
  private readonly activeByJob = new Map<string, Set<string>>();
  private readonly followers = new Map<string, Array<{ jobRef: string; trigger: string }>>();
  private readonly freshnessDownstream = new Map<string, string[]>();
  private timer: TimerHandle | undefined;
  private armedAtMs: number | undefined;
  private startedUp = false;
  /** The run finish() recorded last: a run that ends during its own launch is returned from it. */
  private lastFinished: RunRecord | undefined;
  private stopped = false;

  constructor(options: SchedulerOptions) {
    this.clock = options.clock;
    this.store = options.store;
    this.executor = options.executor;
    this.log = (options.logger ?? silentLogger).child("scheduler");
    this.events = new TypedEvents<SchedulerEventMap>((event, error) =>
      this.log.warn("event listener failed", { event: String(event), error: errorText(error) }),
    );
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────

  /** Loads durable state and arms the timer. Ticks missed while down are not run now. */
  async start(): Promise<void> {
    if (this.startedUp) return;
    this.startedUp = true;
    const now = this.clock.now();
    const lastAlive = Number(this.store.getMeta(META_LAST_ALIVE) ?? Number.NaN);
    this.loadJobs();
    this.restoreTriggers(now, Number.isFinite(lastAlive) ? lastAlive : null);
    for (const held of this.store.loadHeld()) if (this.jobs.has(held.jobRef)) this.held.set(held.jobRef, held);
    await this.restoreOpenRuns();
    this.rebuildIndexes();
    for (const jobRef of [...this.pending.keys()]) this.safely(jobRef, "start queued run", () => this.startPending(jobRef));
    this.heartbeat(now);
    this.arm();
  }

  /** Started and not stopped: it owns its runs and accepts triggers. */
  isRunning(): boolean {
    return this.startedUp && !this.stopped;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.armedAtMs = undefined;
  }

  /** Applies a manifest: added/updated/unchanged/archived (manifest-generation.md §5). */
  deploy(input: DeployInput): DeployResult {
    if (!this.startedUp) {
      throw new SluiceError("scheduler_not_started", "cannot deploy before the scheduler has loaded its state", {
        hint: "await scheduler.start() first, so the deployed jobs are compared with the stored ones",
      });
    }
    const result = applyDeployment(this.deployContext(), input, this.clock.now());
    this.rebuildIndexes();
    this.events.emit("deploy:applied", { changes: result.changes, atMs: this.clock.now() });
    if (result.changed) {
      for (const job of this.jobs.values()) {
        for (const trigger of job.deploymentTriggers) {
          this.safely(job.jobRef, "deployment trigger", () => this.dispatch(job, trigger, "deployment"));
        }
      }
    }
    this.arm();
    return result;
  }

  // ── the loop ──────────────────────────────────────────────────────────────

  /** For callers outside the loop that changed state (manual triggers). */
  rearm(): void {
    this.arm();
  }

  /** Arms ONE clock timer for the earliest due entry (re-armed only when that changes). */
  private arm(): void {
    if (this.stopped || !this.startedUp) return;
    const next = this.queue.peek();
    if (next?.atMs === this.armedAtMs && this.timer) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.armedAtMs = next?.atMs;
    if (next) this.timer = this.clock.setTimer(next.atMs, () => this.wake());
  }

  private wake(): void {
    this.timer = undefined;
    this.armedAtMs = undefined;
    if (this.stopped) return;
    const now = this.clock.now();
    // an early wake pops nothing and re-arms; a late one processes everything due at once
    for (let due = this.queue.popDue(now); due; due = this.queue.popDue(now)) {
      const [kind, a, b] = splitKey(due.key);
      if (kind === "fire") this.safely(a, "timed trigger", () => this.fireTimed(a, b, due.atMs));
      else if (kind === "timeout") this.safely(a, "timeout", () => this.onTimeout(a));
      else if (kind === "kill") this.safely(a, "kill", () => this.live.get(a)?.handle?.kill());
    }
    this.heartbeat(now);
    this.arm();
  }

  private heartbeat(now: number): void {
    this.safely("*", "heartbeat", () => this.store.setMeta(META_LAST_ALIVE, String(now)));
  }

  /** Runs one job's step; an error is recorded and the loop goes on with the others. */
  private safely(jobRef: string, step: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      const message = errorText(error);
      this.log.error("scheduler step failed", { jobRef, step, error: message });
      this.events.emit("job:error", { jobRef, step, message, atMs: this.clock.now() });
    }
  }

  // ── timed triggers ────────────────────────────────────────────────────────

  private fireTimed(jobRef: string, raw: string, scheduledMs: number): void {
    const job = this.jobs.get(jobRef);
    const state = this.triggerStates.get(triggerKey(jobRef, raw));
    const trigger = job?.timedTriggers.find((t) => t.raw === raw);
    if (!job || !state || !trigger || !state.active) return;
    const now = this.clock.now();
    if (trigger.type === "once" && state.onceFired) return;
    const next =
      trigger.type === "once" ? null : nextFireTime(trigger, Math.max(now, scheduledMs), job.timezone, scheduledMs);
    const updated: StoredTrigger = {
      ...state,
      lastFireMs: scheduledMs,
      nextFireMs: next,
      onceFired: state.onceFired || trigger.type === "once",
    };
    this.events.emit("trigger:fired", { jobRef, trigger: raw, scheduledMs, atMs: now });
    if (trigger.type !== "once" && nextFireTime(trigger, scheduledMs, job.timezone, scheduledMs) < now) {
      // woke late (host asleep, loop blocked): this one run's window folds in the ticks in between
      const reason = `covers ticks missed since ${iso(scheduledMs)} (the scheduler woke late)`;
      this.catchUpNotes.set(jobRef, { reason, sinceMs: scheduledMs });
      this.events.emit("trigger:missed", { jobRef, trigger: raw, missedFromMs: scheduledMs, nextFireMs: next ?? now, reason });
    }
    this.store.transaction(() => {
      this.saveTrigger(updated);
      this.dispatch(job, raw, "timed");
    });
  }

  saveTrigger(state: StoredTrigger): void {
    this.store.saveTrigger(state);
    const key = triggerKey(state.jobRef, state.trigger);
    this.triggerStates.set(key, state);
    if (state.active && state.nextFireMs !== null && !(state.onceFired && state.trigger.startsWith("once:"))) {
      this.queue.set(`fire|${key}`, state.nextFireMs);
    } else {
      this.queue.delete(`fire|${key}`);
    }
  }

  // ── dispatch ──────────────────────────────────────────────────────────────

  /**
   * A trigger wants a run of `job`. Concurrency first (queue one coalesced run), then
   * freshness, then the window. Returns the record created (started, queued or skipped).
   */
  dispatch(job: CompiledJob, trigger: string, cause: DispatchCause): RunRecord {
    const limit = job.concurrency;
    const active = this.activeByJob.get(job.jobRef)?.size ?? 0;
    if (limit !== null && active >= limit) {
      const activeText = this.describeActive(job.jobRef);
      const existing = this.pending.get(job.jobRef);
      if (existing) {
        const reason = `coalesced into queued ${existing.runId} (concurrency limit ${limit}; ${activeText})`;
        return this.recordSkipped(job, trigger, reason, null);
      }
      const run = this.store.insertRun(
        this.newRun(job, trigger, "pending", `concurrency limit ${limit} reached: ${activeText}`),
      );
      this.pending.set(job.jobRef, run);
      this.events.emit("run:queued", { run });
      return run;
    }
    return this.launch(job, trigger, cause, null);
  }

  private launch(job: CompiledJob, trigger: string, cause: DispatchCause, queued: RunRecord | null): RunRecord {
    const now = this.clock.now();
    const watermark = this.watermarks.get(job.jobRef) ?? null;
    const refresh = watermark === null || job.refreshPolicy === "always";
    const window = computeRunWindow({
      intervalTrigger: job.defaultTrigger ?? this.parsed(trigger),
      nowMs: now,
      watermarkMs: watermark,
      tz: job.timezone,
      declaredInterval: job.interval?.start ? { start: job.interval.start, end: job.interval.end } : undefined,
      refresh,
    });
    const gate = this.checkFreshness(job, now);
    if (!gate.fresh) {
      const reason = `held by freshness: ${gate.reason}`;
      const held: HeldRetry = { jobRef: job.jobRef, trigger, sinceMs: this.held.get(job.jobRef)?.sinceMs ?? now, reason };
      this.store.transaction(() => {
        this.store.setHeld(held);
        this.held.set(job.jobRef, held);
      });
      return this.recordSkipped(job, trigger, reason, window, queued);
    }
    if (window.skipReason && (cause === "timed" || cause === "queued")) {
      return this.recordSkipped(job, trigger, window.skipReason, window, queued);
    }
    const note = this.catchUpNotes.get(job.jobRef);
    const patch = {
      trigger,
      refresh,
      intervalStartMs: window.startMs,
      intervalEndMs: window.endMs,
      reason: note?.reason ?? null,
    };
    const run = this.store.transaction(() => {
      let saved: RunRecord;
      if (queued) {
        saved = transitionRun(queued, "starting", now, patch);
        this.store.updateRun(saved);
      } else {
        saved = this.store.insertRun({ ...this.newRun(job, trigger, "starting", patch.reason), ...patch });
      }
      if (this.held.delete(job.jobRef)) this.store.deleteHeld(job.jobRef);
      return saved;
    });
    this.catchUpNotes.delete(job.jobRef);
    if (queued) this.pending.delete(job.jobRef);
    this.track(run, job);
    this.startExecutor(run, job);
    return this.live.get(run.runId)?.run ?? (this.lastFinished?.runId === run.runId ? this.lastFinished : run);
  }

  private parsed(raw: string) {
    let parsed = this.parsedTriggers.get(raw);
    if (!parsed) {
      parsed = parseTrigger(raw);
      this.parsedTriggers.set(raw, parsed);
    }
    return parsed;
  }

  private startExecutor(run: RunRecord, job: CompiledJob): void {
    const spec: RunSpec = {
      runId: run.runId,
      jobRef: job.jobRef,
      trigger: run.trigger,
      refresh: run.refresh,
      intervalStartMs: run.intervalStartMs ?? this.clock.now(),
      intervalEndMs: run.intervalEndMs ?? this.clock.now(),
      intervalTimezone: job.timezone,
      job: job.definition,
    };
    const fail = (error: unknown) =>
      this.safely(job.jobRef, "executor start failed", () =>
        this.finish(run.runId, { exitCode: null, killed: false, message: `executor could not start the run: ${errorText(error)}` }),
      );
    try {
      const started = this.executor.start(spec);
      if (started instanceof Promise) {
        started.then(
          (handle) => this.safely(job.jobRef, "attach run", () => this.attach(run.runId, handle)),
          fail,
        );
      } else {
        this.attach(run.runId, started);
      }
    } catch (error) {
      fail(error);
    }
  }

  private attach(runId: string, handle: RunHandle): void {
    const live = this.live.get(runId);
    if (!live) {
      handle.kill();
      return;
    }
    live.handle = handle;
    const now = this.clock.now();
    live.run = transitionRun(live.run, "running", now, { startedMs: now });
    this.store.updateRun(live.run);
    if (!live.job.isIdleTimeout) this.queue.set(`timeout|${runId}`, now + live.job.timeoutMs);
    this.events.emit("run:started", { run: live.run });
    if (live.cancelCause) handle.stop(live.job.gracePeriodMs);
    handle.onExit((exit) => this.safely(live.job.jobRef, "run exit", () => this.finish(runId, exit)));
    this.arm();
  }

  private track(run: RunRecord, job: CompiledJob): void {
    this.live.set(run.runId, { run, job, handle: undefined, timedOut: false, cancelCause: null });
    let set = this.activeByJob.get(job.jobRef);
    if (!set) {
      set = new Set();
      this.activeByJob.set(job.jobRef, set);
    }
    set.add(run.runId);
  }

  private recordSkipped(
    job: CompiledJob,
    trigger: string,
    reason: string,
    window: { startMs: number; endMs: number } | null,
    queued: RunRecord | null = null,
  ): RunRecord {
    const now = this.clock.now();
    const patch = { reason, intervalStartMs: window?.startMs ?? null, intervalEndMs: window?.endMs ?? null };
    let run: RunRecord;
    if (queued) {
      run = transitionRun(queued, "skipped", now, patch);
      this.store.updateRun(run);
      this.pending.delete(job.jobRef);
    } else {
      run = this.store.insertRun({ ...this.newRun(job, trigger, "skipped", reason), ...patch });
    }
    this.events.emit("run:skipped", { run });
    return run;
  }

  private newRun(job: CompiledJob, trigger: string, status: RunStatus, reason: string | null): Omit<RunRecord, "runId"> {
    const now = this.clock.now();
    return {
      jobRef: job.jobRef,
      trigger,
      status,
      reason,
      sinceMs: now,
      createdMs: now,
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

  private describeActive(jobRef: string): string {
    const runs = [...(this.activeByJob.get(jobRef) ?? [])].map((id) => this.live.get(id)?.run).filter((r) => r !== undefined);
    return runs.map((r) => `${r.runId} ${r.status} since ${iso(r.startedMs ?? r.sinceMs)}`).join(", ");
  }

  // ── freshness ─────────────────────────────────────────────────────────────

  checkFreshness(job: CompiledJob, nowMs: number): FreshnessGate {
    return checkJobFreshness(job, this.jobs, this.watermarks, nowMs);
  }

  /** Upstream succeeded: held downstream runs whose gates now pass are released, once each. */
  private releaseHeld(upstreamRef: string): void {
    for (const downstreamRef of this.freshnessDownstream.get(upstreamRef) ?? []) {
      const held = this.held.get(downstreamRef);
      const job = this.jobs.get(downstreamRef);
      if (!held || !job) continue;
      this.safely(downstreamRef, "release held run", () => {
        const gate = this.checkFreshness(job, this.clock.now());
        if (!gate.fresh) {
          const updated = { ...held, reason: `held by freshness: ${gate.reason}` };
          this.store.setHeld(updated);
          this.held.set(downstreamRef, updated);
          return;
        }
        this.store.deleteHeld(downstreamRef);
        this.held.delete(downstreamRef);
        this.dispatch(job, held.trigger, "retry");
      });
    }
  }

  // ── completion, timeouts, cancellation ────────────────────────────────────

  private finish(runId: string, exit: RunExit): void {
    const live = this.live.get(runId);
    // a stopped scheduler no longer owns its runs: the next one adopts or records them
    if (!live || this.stopped) return;
    const now = this.clock.now();
    const { job } = live;
    this.queue.delete(`timeout|${runId}`);
    this.queue.delete(`kill|${runId}`);
    const classified = classifyExit(exit, {
      wasRunning: live.run.status === "running",
      timedOut: live.timedOut,
      cancelCause: live.cancelCause,
      timeoutMs: job.timeoutMs,
      gracePeriodMs: job.gracePeriodMs,
      reason: live.run.reason,
    });
    const { outcome, status, reason, cancelCause } = classified;
    let cleared: string[] = [];
    const run = this.store.transaction(() => {
      const finished = transitionRun(live.run, status, now, { finishedMs: now, exitCode: exit.exitCode, reason, cancelCause });
      this.store.updateRun(finished);
      if (outcome === "succeeded" && finished.intervalEndMs !== null) {
        this.watermarks.set(job.jobRef, this.store.advanceWatermark(job.jobRef, finished.intervalEndMs));
        if (job.refreshPolicy === "always") cleared = this.clearCascade(job.jobRef, false);
      }
      return finished;
    });
    this.lastFinished = run;
    this.live.delete(runId);
    this.activeByJob.get(job.jobRef)?.delete(runId);
    this.events.emit("run:finished", { run, outcome });
    if (cleared.length > 0) this.events.emit("refresh:cleared", { rootRef: job.jobRef, cleared, atMs: now });
    const event = followUpEvent(job.jobRef, classified);
    for (const follower of (event && this.followers.get(event)) || []) {
      const followerJob = this.jobs.get(follower.jobRef);
      if (followerJob) this.safely(follower.jobRef, "follow-up", () => this.dispatch(followerJob, follower.trigger, "event"));
    }
    if (outcome === "succeeded") this.releaseHeld(job.jobRef);
    this.safely(job.jobRef, "start queued run", () => this.startPending(job.jobRef));
    this.arm();
  }

  private startPending(jobRef: string): void {
    const queued = this.pending.get(jobRef);
    const job = this.jobs.get(jobRef);
    if (!queued || !job) return;
    const active = this.activeByJob.get(jobRef)?.size ?? 0;
    if (job.concurrency !== null && active >= job.concurrency) return;
    this.launch(job, queued.trigger, "queued", queued);
  }

  private onTimeout(runId: string): void {
    const live = this.live.get(runId);
    if (!live || live.run.status !== "running") return;
    live.timedOut = true;
    live.handle?.stop(live.job.gracePeriodMs);
    if (this.live.has(runId)) this.queue.set(`kill|${runId}`, this.clock.now() + live.job.gracePeriodMs);
  }

  /** User cancel: a queued run is dropped, an active one gets SIGTERM, then SIGKILL after grace. */
  cancel(runId: string): RunRecord | undefined {
    for (const [jobRef, queued] of this.pending) {
      if (queued.runId !== runId) continue;
      const run = transitionRun(queued, "cancelled", this.clock.now(), { reason: "cancelled by user", cancelCause: "user" });
      this.store.updateRun(run);
      this.pending.delete(jobRef);
      this.events.emit("run:finished", { run, outcome: "cancelled" });
      return run;
    }
    const live = this.live.get(runId);
    if (!live) return this.store.getRun(runId);
    live.cancelCause = "user";
    live.handle?.stop(live.job.gracePeriodMs);
    if (this.live.has(runId)) this.queue.set(`kill|${runId}`, this.clock.now() + live.job.gracePeriodMs);
    this.arm();
    return live.run;
  }

  // ── refresh ───────────────────────────────────────────────────────────────

  /** Clears the watermarks of `rootRef`'s cascade targets (and the root's own if asked). */
  clearCascade(rootRef: string, includeRoot: boolean): string[] {
    const targets = refreshCascadeTargets(rootRef, this.cascadeGraph());
    const refs = [...new Set([...(includeRoot ? [rootRef] : []), ...targets])];
    this.store.transaction(() => {
      for (const ref of refs) {
        this.store.clearWatermark(ref);
        this.watermarks.set(ref, null);
      }
    });
    return refs;
  }

  private cascadeGraph(): CascadeJob[] {
    return [...this.jobs.values()].map((job) => ({
      jobRef: job.jobRef,
      freshness: (job.definition.freshness as string[] | undefined) ?? [],
      refresh: job.refreshPolicy,
      intervalStore: job.intervalStore,
    }));
  }

  /** spec §8.5 pre-flight for an explicit `--refresh` of one selected job. */
  explicitRefresh(job: CompiledJob): { cleared: string[]; warning: string | null } {
    const now = this.clock.now();
    let warning: string | null = null;
    if (job.intervalStore) return { cleared: [], warning: null };
    if (job.refreshPolicy === "block") warning = "--refresh ignored (refresh=block)";
    else if ((this.activeByJob.get(job.jobRef)?.size ?? 0) > 0) warning = "--refresh skipped (job is running)";
    else {
      const gate = this.checkFreshness(job, now);
      if (!gate.fresh) warning = `--refresh skipped (${gate.reason})`;
    }
    if (warning) {
      this.events.emit("refresh:ignored", { jobRef: job.jobRef, reason: warning, atMs: now });
      return { cleared: [], warning };
    }
    const cleared = this.clearCascade(job.jobRef, true);
    this.events.emit("refresh:cleared", { rootRef: job.jobRef, cleared, atMs: now });
    return { cleared, warning: null };
  }

  // ── boot ──────────────────────────────────────────────────────────────────

  private loadJobs(): void {
    for (const stored of this.store.loadJobs()) {
      this.safely(stored.jobRef, "load job", () => {
        const job = this.deployContext().compile(stored.definition, stored.jobHash);
        this.known.set(job.jobRef, job);
        if (stored.active) this.jobs.set(job.jobRef, job);
        this.watermarks.set(job.jobRef, stored.watermarkMs);
      });
    }
  }

  private restoreTriggers(now: number, lastAliveMs: number | null): void {
    for (const state of this.store.loadTriggers()) {
      const job = this.jobs.get(state.jobRef);
      const trigger = job?.timedTriggers.find((t) => t.raw === state.trigger);
      if (!job || !trigger || !state.active) {
        this.triggerStates.set(triggerKey(state.jobRef, state.trigger), state);
        continue;
      }
      this.safely(job.jobRef, "restore trigger", () => this.restoreTrigger(job, trigger, state, now, lastAliveMs));
    }
  }

  private restoreTrigger(job: CompiledJob, trigger: TimedTrigger, stored: StoredTrigger, now: number, lastAliveMs: number | null): void {
    const { state, missed } = planRestoredTrigger(trigger, stored, job.timezone, now, lastAliveMs);
    this.saveTrigger(state);
    if (!missed || state.nextFireMs === null) return;
    this.catchUpNotes.set(job.jobRef, { reason: missed.note, sinceMs: missed.downSinceMs });
    this.events.emit("trigger:missed", {
      jobRef: job.jobRef,
      trigger: trigger.raw,
      missedFromMs: missed.missedFromMs,
      nextFireMs: state.nextFireMs,
      reason: missed.event,
    });
  }

  private async restoreOpenRuns(): Promise<void> {
    for (const run of this.store.openRuns()) {
      const job = this.known.get(run.jobRef);
      if (run.status === "pending") {
        if (job && this.jobs.has(job.jobRef)) this.pending.set(run.jobRef, run);
        else this.store.updateRun(transitionRun(run, "skipped", this.clock.now(), { reason: "job archived while queued" }));
        continue;
      }
      let handle: RunHandle | null = null;
      try {
        handle = (await this.executor.adopt?.(run.runId)) ?? null;
      } catch (error) {
        this.log.warn("could not adopt run", { runId: run.runId, error: errorText(error) });
      }
      if (job && handle) {
        this.track(run, job);
        const live = this.live.get(run.runId);
        if (live) {
          live.handle = handle;
          handle.onExit((exit) => this.safely(job.jobRef, "run exit", () => this.finish(run.runId, exit)));
        }
        continue;
      }
      if (!job) continue;
      // the process is gone: the runtime lost it, which counts as a runtime cancellation (job.fail)
      this.track(run, job);
      const live = this.live.get(run.runId);
      if (live) live.cancelCause = "runtime";
      this.finish(run.runId, { exitCode: null, killed: true, message: "lost: the daemon stopped while the run was active" });
    }
  }

  private rebuildIndexes(): void {
    this.followers.clear();
    this.freshnessDownstream.clear();
    for (const job of this.jobs.values()) {
      for (const followUp of job.followUps) {
        const key = `${followUp.type}:${followUp.jobRef}`;
        const list = this.followers.get(key) ?? [];
        list.push({ jobRef: job.jobRef, trigger: followUp.raw });
        this.followers.set(key, list);
      }
      for (const upstream of job.freshnessUpstreams) {
        const list = this.freshnessDownstream.get(upstream) ?? [];
        list.push(job.jobRef);
        this.freshnessDownstream.set(upstream, list);
      }
    }
  }

  // ── read side ─────────────────────────────────────────────────────────────

  activeRunCount(jobRef: string): number {
    return this.activeByJob.get(jobRef)?.size ?? 0;
  }

  /** The instant of the earliest due entry (next fire, timeout or kill), if any. */
  nextDueAt(): number | undefined {
    return this.queue.peek()?.atMs;
  }

  /** Every job that waits, with why and since when. */
  waiting(): WaitingEntry[] {
    return waitingEntries(this);
  }

  /** The next `count` fire times of an active job, in UTC and in its timezone. */
  preview(jobRef: string, count: number): FirePreview[] {
    const job = this.jobs.get(jobRef);
    if (!job) return [];
    return previewNextFires(job, count, this.clock.now(), (trigger) => this.triggerStates.get(triggerKey(jobRef, trigger)));
  }

  nextFireOf(job: CompiledJob): { atMs: number; trigger: string } | null {
    let best: { atMs: number; trigger: string } | null = null;
    for (const trigger of job.timedTriggers) {
      const at = this.queue.get(`fire|${triggerKey(job.jobRef, trigger.raw)}`);
      if (at !== undefined && (best === null || at < best.atMs)) best = { atMs: at, trigger: trigger.raw };
    }
    return best;
  }

  /** Shared with deploy.ts: the state it reads and the writers it may call. */
  private deployContext(): DeployContext {
    return {
      store: this.store,
      jobs: this.jobs,
      known: this.known,
      watermarks: this.watermarks,
      triggerStates: this.triggerStates,
      pending: this.pending,
      held: this.held,
      saveTrigger: (state: StoredTrigger) => this.saveTrigger(state),
      dropQueued: (jobRef: string, reason: string) => {
        const queued = this.pending.get(jobRef);
        if (queued) {
          this.pending.delete(jobRef);
          const run = transitionRun(queued, "skipped", this.clock.now(), { reason });
          this.store.updateRun(run);
          this.events.emit("run:skipped", { run });
        }
      },
      compile: (definition: Record<string, unknown>, jobHash: string) => compileJob(definition as JobDefinition, jobHash, this.parsedTriggers),
    };
  }
}

export function triggerKey(jobRef: string, trigger: string): string {
  return `${jobRef}|${trigger}`;
}

function splitKey(key: string): [string, string, string] {
  const first = key.indexOf("|");
  const kind = key.slice(0, first);
  const rest = key.slice(first + 1);
  if (kind !== "fire") return [kind, rest, ""];
  const second = rest.indexOf("|");
  return [kind, rest.slice(0, second), rest.slice(second + 1)];
}

