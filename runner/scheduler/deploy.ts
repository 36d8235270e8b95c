/**
 * Applying a manifest to the scheduler's state (manifest-generation.md §5), in one
 * transaction. Decisions (docs/scheduling.md "Re-deploys"):
 * - unchanged job: nothing is touched, its next fires and cadence stay;
 * - updated job: the watermark is kept (even when the schedule changed: the next window
 *   starts where the last one ended, so no data is skipped or loaded twice); a timed
 *   trigger whose text and timezone are unchanged keeps its state; a new or changed one
 *   gets its first fire strictly after now, so the tick that just ran never runs again;
 * - archived job: triggers stop, a queued run is dropped (recorded as skipped), held
 *   retries are forgotten, in-flight runs finish, history and watermark are kept;
 * - revived ref (archived, then back): reported `added`, same record, history and watermark
 *   kept, timed triggers start fresh from now, so no burst for the time it was gone;
 * - `once:` triggers keep their fired flag across updates, archive and revival.
 */
import type { CompiledJob, JobDefinition } from "./compiled-job.js";
import { compileJob, hashJobDefinition, keyOfDefinition } from "./compiled-job.js";
import { nextFireTime } from "./deps.js";
import { triggerKey } from "./due-keys.js";
import type { EngineContext } from "./engine-context.js";
import { skippedRun, type RunRecord } from "./run-state.js";
import { saveTrigger } from "./timed-triggers.js";
import type { DeployChange } from "./scheduler-events.js";
import type { HeldRetry, SchedulerStore, StoredTrigger } from "./store/scheduler-store.js";

export interface DeployInput {
  manifest: { jobs: readonly JobDefinition[] } & Record<string, unknown>;
  /** Per-job hashes from manifest generation, by job key; computed here (stable JSON sha256) when absent. */
  jobHashes?: Readonly<Record<string, string>>;
  /**
   * The keys of the jobs this deployment is about (a daemon deploys the union of all workspaces, but a
   * push deploys one workspace). When given, their `deployment:` triggers fire after every
   * apply (a code-only push is a deployment too) and no other job's do; when absent, every
   * job's `deployment:` triggers fire after a deploy that changed something.
   */
  deploymentScope?: readonly string[];
}

export interface DeployResult {
  changes: DeployChange[];
  /** True when anything was added, updated or archived. */
  changed: boolean;
}

export interface DeployContext {
  store: SchedulerStore;
  jobs: Map<string, CompiledJob>;
  known: Map<string, CompiledJob>;
  watermarks: Map<string, number | null>;
  triggerStates: Map<string, StoredTrigger>;
  pending: Map<string, RunRecord>;
  held: Map<string, HeldRetry>;
  saveTrigger(state: StoredTrigger): void;
  dropQueued(jobRef: string, reason: string): void;
  compile(definition: Record<string, unknown>, jobHash: string): CompiledJob;
}

export function applyDeployment(ctx: DeployContext, input: DeployInput, nowMs: number): DeployResult {
  const changes: DeployChange[] = [];
  ctx.store.transaction(() => {
    const incoming = new Set<string>();
    for (const definition of input.manifest.jobs) {
      const jobRef = keyOfDefinition(definition);
      incoming.add(jobRef);
      const jobHash = input.jobHashes?.[jobRef] ?? hashJobDefinition(definition);
      const previous = ctx.jobs.get(jobRef);
      if (previous && previous.jobHash === jobHash) {
        changes.push({ jobRef, status: "unchanged" });
        continue;
      }
      const revivedFrom = previous ? undefined : ctx.known.get(jobRef);
      const job = ctx.compile(definition, jobHash);
      ctx.store.upsertJob({ jobRef, definition, jobHash, deployedAtMs: nowMs });
      ctx.jobs.set(jobRef, job);
      ctx.known.set(jobRef, job);
      if (!ctx.watermarks.has(jobRef)) ctx.watermarks.set(jobRef, null);
      registerTimedTriggers(ctx, job, previous ?? revivedFrom ?? null, previous !== undefined, nowMs);
      changes.push(previous ? { jobRef, status: "updated" } : { jobRef, status: "added", ...(revivedFrom ? { revived: true } : {}) });
    }
    for (const [jobRef, job] of [...ctx.jobs]) {
      if (incoming.has(jobRef)) continue;
      archive(ctx, job, nowMs);
      changes.push({ jobRef, status: "archived" });
    }
  });
  return { changes, changed: changes.some((c) => c.status !== "unchanged") };
}

function registerTimedTriggers(
  ctx: DeployContext,
  job: CompiledJob,
  previous: CompiledJob | null,
  wasActive: boolean,
  nowMs: number,
): void {
  const current = new Set(job.timedTriggers.map((t) => t.raw));
  for (const old of previous?.timedTriggers ?? []) {
    const state = ctx.triggerStates.get(triggerKey(job.jobRef, old.raw));
    if (state && !current.has(old.raw)) ctx.saveTrigger({ ...state, active: false, nextFireMs: null });
  }
  const sameZone = previous?.timezone === job.timezone;
  for (const trigger of job.timedTriggers) {
    const existing = ctx.triggerStates.get(triggerKey(job.jobRef, trigger.raw));
    if (trigger.type === "once") {
      const onceFired = existing?.onceFired ?? false;
      ctx.saveTrigger({
        jobRef: job.jobRef,
        trigger: trigger.raw,
        active: true,
        lastFireMs: existing?.lastFireMs ?? null,
        nextFireMs: onceFired ? null : Math.max(trigger.atMs, nowMs),
        onceFired,
      });
      continue;
    }
    if (wasActive && existing?.active && sameZone && existing.nextFireMs !== null) continue;
    ctx.saveTrigger({
      jobRef: job.jobRef,
      trigger: trigger.raw,
      active: true,
      lastFireMs: existing?.lastFireMs ?? null,
      nextFireMs: nextFireTime(trigger, nowMs, job.timezone, null),
      onceFired: false,
    });
  }
}

function archive(ctx: DeployContext, job: CompiledJob, nowMs: number): void {
  ctx.store.archiveJob(job.jobRef, nowMs);
  ctx.jobs.delete(job.jobRef);
  ctx.held.delete(job.jobRef);
  for (const trigger of job.timedTriggers) {
    const state = ctx.triggerStates.get(triggerKey(job.jobRef, trigger.raw));
    if (state) ctx.saveTrigger({ ...state, active: false, nextFireMs: null });
  }
  ctx.dropQueued(job.jobRef, "job archived");
}

/** The engine's state as deploy sees it: what it reads and the writers it may call. */
export function deployContextOf(ctx: EngineContext): DeployContext {
  return {
    store: ctx.store,
    jobs: ctx.jobs,
    known: ctx.known,
    watermarks: ctx.watermarks,
    triggerStates: ctx.triggerStates,
    pending: ctx.pending,
    held: ctx.held,
    saveTrigger: (state: StoredTrigger) => saveTrigger(ctx, state),
    dropQueued: (jobRef: string, reason: string) => {
      const queued = ctx.pending.get(jobRef);
      if (queued) {
        ctx.pending.delete(jobRef);
        const run = skippedRun(queued, ctx.clock.now(), { reason });
        ctx.store.updateRun(run);
        ctx.events.emit("run:skipped", { run });
      }
    },
    compile: (definition: Record<string, unknown>, jobHash: string) => compileJob(definition as JobDefinition, jobHash, ctx.parsedTriggers),
  };
}
