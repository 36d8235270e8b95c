/**
 * The stateful scheduler: one clock timer for the earliest due thing (a trigger fire, a
 * run timeout, a kill after grace), a durable store written one transaction per state
 * change, and an Executor that runs what is decided. Daemon and simulator use this same
 * class; only the Clock and the Executor differ. Decisions are in docs/scheduling.md.
 *
 * This file is the coordinator: lifecycle, the timer loop and the public API. The steps
 * are plain functions over an EngineContext: dispatch.ts, run-start.ts, completion.ts,
 * freshness-hold.ts, refresh.ts, timed-triggers.ts, boot.ts, deploy.ts.
 */
import type { Clock, Logger, TimerHandle } from "../../core/index.js";
import { SluiceError, TypedEvents, errorText, silentLogger } from "../../core/index.js";
import { loadHeld, loadJobs, rebuildIndexes, restoreOpenRuns, restoreTriggers } from "./boot.js";
import { deliverOwedFollowUps } from "./completion.js";
import type { CompiledJob } from "./compiled-job.js";
import { cancelRun, stopRun, finishRun, onTimeout, startPending } from "./completion.js";
import { applyDeployment, deployContextOf, type DeployInput, type DeployResult } from "./deploy.js";
import { dispatch, type RunRequestOptions } from "./dispatch.js";
import { fireKey, parseDueKey, triggerKey } from "./due-keys.js";
import { DueQueue } from "./due-queue.js";
import { activeRunCount, jobFreshness, retryWhileBusy, safely, type DispatchCause, type EngineContext } from "./engine-context.js";
import type { Executor } from "./executor.js";
import type { FreshnessGate } from "./freshness-gate.js";
import { previewNextFires, type FirePreview } from "./preview.js";
import { clearCascade, explicitRefresh } from "./refresh.js";
import type { RunRecord } from "./run-state.js";
import type { SchedulerEventMap } from "./scheduler-events.js";
import type { SchedulerStore, StoredTrigger } from "./store/scheduler-store.js";
import { fireTimed, saveTrigger } from "./timed-triggers.js";
import { waitingEntries, type WaitingEntry } from "./waiting.js";

export interface SchedulerOptions {
  clock: Clock;
  store: SchedulerStore;
  executor: Executor;
  logger?: Logger;
}

export type { DispatchCause, WaitingEntry };
export { triggerKey };

export const META_LAST_ALIVE = "last_alive_ms";

export class Scheduler {
  readonly events: TypedEvents<SchedulerEventMap>;
  readonly clock: Clock;
  readonly store: SchedulerStore;

  private readonly ctx: EngineContext;
  private timer: TimerHandle | undefined;
  private armedAtMs: number | undefined;
  private startedUp = false;

  constructor(options: SchedulerOptions) {
    this.clock = options.clock;
    this.store = options.store;
    const log = (options.logger ?? silentLogger).child("scheduler");
    this.events = new TypedEvents<SchedulerEventMap>((event, error) =>
      log.warn("event listener failed", { event: String(event), error: errorText(error) }),
    );
    const ctx: EngineContext = {
      clock: this.clock,
      store: this.store,
      executor: options.executor,
      log,
      events: this.events,
      jobs: new Map(),
      known: new Map(),
      watermarks: new Map(),
      triggerStates: new Map(),
      pending: new Map(),
      held: new Map(),
      catchUpNotes: new Map(),
      queue: new DueQueue(),
      parsedTriggers: new Map(),
      live: new Map(),
      activeByJob: new Map(),
      followers: new Map(),
      freshnessDownstream: new Map(),
      stopped: false,
      booting: false,
      lastFinished: undefined,
      arm: () => this.arm(),
      finishRun: (runId, exit) => finishRun(ctx, runId, exit),
    };
    this.ctx = ctx;
  }

  // ── read side: the engine's state, documented on EngineContext ───────────

  get jobs(): EngineContext["jobs"] {
    return this.ctx.jobs;
  }

  get known(): EngineContext["known"] {
    return this.ctx.known;
  }

  get watermarks(): EngineContext["watermarks"] {
    return this.ctx.watermarks;
  }

  get triggerStates(): EngineContext["triggerStates"] {
    return this.ctx.triggerStates;
  }

  get pending(): EngineContext["pending"] {
    return this.ctx.pending;
  }

  get held(): EngineContext["held"] {
    return this.ctx.held;
  }

  get catchUpNotes(): EngineContext["catchUpNotes"] {
    return this.ctx.catchUpNotes;
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────

  /** Loads durable state and arms the timer. Ticks missed while down are not run now. */
  async start(): Promise<void> {
    if (this.startedUp) return;
    this.startedUp = true;
    const ctx = this.ctx;
    const now = this.clock.now();
    const lastAlive = Number(this.store.getMeta(META_LAST_ALIVE) ?? Number.NaN);
    loadJobs(ctx);
    restoreTriggers(ctx, now, Number.isFinite(lastAlive) ? lastAlive : null);
    loadHeld(ctx);
    ctx.booting = true;
    try {
      await restoreOpenRuns(ctx);
    } finally {
      ctx.booting = false;
    }
    rebuildIndexes(ctx);
    deliverOwedFollowUps(ctx);
    for (const jobRef of [...this.pending.keys()]) safely(ctx, jobRef, "start queued run", () => startPending(ctx, jobRef));
    this.heartbeat(now);
    this.arm();
  }

  /** Started and not stopped: it owns its runs and accepts triggers. */
  isRunning(): boolean {
    return this.startedUp && !this.ctx.stopped;
  }

  stop(): void {
    this.ctx.stopped = true;
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
    const ctx = this.ctx;
    const result = applyDeployment(deployContextOf(ctx), input, this.clock.now());
    rebuildIndexes(ctx);
    this.events.emit("deploy:applied", { changes: result.changes, atMs: this.clock.now() });
    for (const job of this.jobsWithDeploymentTriggers(input, result.changed)) {
      for (const trigger of job.deploymentTriggers) {
        safely(ctx, job.jobRef, "deployment trigger", () => dispatch(ctx, job, trigger, "deployment"));
      }
    }
    this.arm();
    return result;
  }

  private jobsWithDeploymentTriggers(input: DeployInput, changed: boolean): CompiledJob[] {
    if (input.deploymentScope === undefined) return changed ? [...this.jobs.values()] : [];
    return input.deploymentScope.flatMap((ref) => this.jobs.get(ref) ?? []);
  }

  // ── the loop ──────────────────────────────────────────────────────────────

  /** For callers outside the loop that changed state (manual triggers). */
  rearm(): void {
    this.arm();
  }

  /** Arms ONE clock timer for the earliest due entry (re-armed only when that changes). */
  private arm(): void {
    if (this.ctx.stopped || !this.startedUp) return;
    const next = this.ctx.queue.peek();
    if (next?.atMs === this.armedAtMs && this.timer) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.armedAtMs = next?.atMs;
    if (next) this.timer = this.clock.setTimer(next.atMs, () => this.wake());
  }

  private wake(): void {
    this.timer = undefined;
    this.armedAtMs = undefined;
    const ctx = this.ctx;
    if (ctx.stopped) return;
    const now = this.clock.now();
    // an early wake pops nothing and re-arms; a late one processes everything due at once
    for (let due = ctx.queue.popDue(now); due; due = ctx.queue.popDue(now)) {
      const entry = parseDueKey(due.key);
      const atMs = due.atMs;
      if (entry.kind === "fire") retryWhileBusy(ctx, entry.jobRef, "timed trigger", () => fireTimed(ctx, entry.jobRef, entry.trigger, atMs));
      else if (entry.kind === "timeout") safely(ctx, entry.runId, "timeout", () => onTimeout(ctx, entry.runId));
      else if (entry.kind === "kill") safely(ctx, entry.runId, "kill", () => ctx.live.get(entry.runId)?.handle?.kill());
    }
    this.heartbeat(now);
    this.arm();
  }

  private heartbeat(now: number): void {
    safely(this.ctx, "*", "heartbeat", () => this.store.setMeta(META_LAST_ALIVE, String(now)));
  }

  // ── steps callers outside the loop use (manual triggers, deploy, the daemon) ──

  saveTrigger(state: StoredTrigger): void {
    saveTrigger(this.ctx, state);
  }

  /**
   * A trigger wants a run of `job`. Concurrency first (queue one coalesced run), then
   * freshness, then the window. Returns the record created (started, queued or skipped).
   */
  dispatch(job: CompiledJob, trigger: string, cause: DispatchCause, request: RunRequestOptions = {}): RunRecord {
    return dispatch(this.ctx, job, trigger, cause, request);
  }

  checkFreshness(job: CompiledJob, nowMs: number): FreshnessGate {
    return jobFreshness(this.ctx, job, nowMs);
  }

  /** User cancel: a queued run is dropped, an active one gets SIGTERM, then SIGKILL after grace. */
  cancel(runId: string): RunRecord | undefined {
    return cancelRun(this.ctx, runId);
  }

  /** The runtime stops a run (idle service, daemon or repo going away); see completion.ts. */
  stopRun(runId: string, cause: "runtime" | "idle", reason?: string): RunRecord | undefined {
    return stopRun(this.ctx, runId, cause, reason);
  }

  /** Clears the watermarks of `rootRef`'s cascade targets (and the root's own if asked). */
  clearCascade(rootRef: string, includeRoot: boolean): string[] {
    return clearCascade(this.ctx, rootRef, includeRoot);
  }

  /** spec §8.5 pre-flight for an explicit `--refresh` of one selected job. */
  explicitRefresh(job: CompiledJob): { cleared: string[]; warning: string | null } {
    return explicitRefresh(this.ctx, job);
  }

  // ── read side ─────────────────────────────────────────────────────────────

  activeRunCount(jobRef: string): number {
    return activeRunCount(this.ctx, jobRef);
  }

  /** The instant of the earliest due entry (next fire, timeout or kill), if any. */
  nextDueAt(): number | undefined {
    return this.ctx.queue.peek()?.atMs;
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
      const at = this.ctx.queue.get(fireKey(job.jobRef, trigger.raw));
      if (at !== undefined && (best === null || at < best.atMs)) best = { atMs: at, trigger: trigger.raw };
    }
    return best;
  }
}
