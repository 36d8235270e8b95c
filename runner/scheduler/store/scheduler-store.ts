/**
 * Durable scheduler state in SQLite: deployed jobs with their watermark, trigger state
 * (last/next fire, once-fired), run records, held freshness retries and a heartbeat.
 * Every public write is one transaction; callers that change several things at once wrap
 * them in `transaction()` (better-sqlite3 nests it as a savepoint).
 */
import type { Database } from "../../../core/index.js";
import { SluiceError, applyMigrations } from "../../../core/index.js";
import { RUN_STATUSES, isTerminal, type CancelCause, type OmitEach, type OpenRun, type RunRecord, type RunStatus } from "../run-state.js";
import { SCHEDULER_MIGRATIONS } from "./migrations.js";

export interface StoredJob {
  jobRef: string;
  definition: Record<string, unknown>;
  jobHash: string;
  active: boolean;
  deployedAtMs: number;
  archivedAtMs: number | null;
  watermarkMs: number | null;
}

export interface StoredTrigger {
  jobRef: string;
  trigger: string;
  active: boolean;
  lastFireMs: number | null;
  nextFireMs: number | null;
  onceFired: boolean;
}

export interface HeldRetry {
  jobRef: string;
  trigger: string;
  sinceMs: number;
  reason: string;
}

export type NewRun = OmitEach<RunRecord, "runId" | "number">;

interface RunRow {
  run_id: string;
  job_ref: string;
  trigger: string;
  status: string;
  reason: string | null;
  since_ms: number;
  created_ms: number;
  started_ms: number | null;
  finished_ms: number | null;
  interval_start_ms: number | null;
  interval_end_ms: number | null;
  refresh: number;
  exit_code: number | null;
  cancel_cause: string | null;
  deployment_version: number | null;
  job_run_number: number;
  profile: string | null;
}

/**
 * A row as the record its status says. A row written before records were typed by status may lack
 * the instant its status implies: a running run's start or an ended run's end is then the instant it
 * entered that status (`since_ms`).
 */
function toRun(row: RunRow): RunRecord {
  const facts = {
    runId: row.run_id,
    jobRef: row.job_ref,
    trigger: row.trigger,
    reason: row.reason,
    sinceMs: row.since_ms,
    createdMs: row.created_ms,
    intervalStartMs: row.interval_start_ms,
    intervalEndMs: row.interval_end_ms,
    refresh: row.refresh === 1,
    deploymentVersion: row.deployment_version,
    number: row.job_run_number,
    profile: row.profile,
  };
  const status = row.status as RunStatus;
  switch (status) {
    case "pending":
    case "starting":
    case "skipped":
      return { ...facts, status, startedMs: null, finishedMs: null, exitCode: null, cancelCause: null };
    case "running":
      return { ...facts, status, startedMs: row.started_ms ?? row.since_ms, finishedMs: null, exitCode: null, cancelCause: null };
    case "completed":
    case "failed":
    case "cancelled":
      return {
        ...facts,
        status,
        startedMs: row.started_ms,
        finishedMs: row.finished_ms ?? row.since_ms,
        exitCode: row.exit_code,
        cancelCause: row.cancel_cause as CancelCause | null,
      };
    default:
      throw new SluiceError("store_corrupt", `Run ${row.run_id} has the unknown status '${String(row.status)}'.`, {
        hint: `Known statuses: ${RUN_STATUSES.join(", ")}. Was the database written by a newer Sluice?`,
      });
  }
}

export class SchedulerStore {
  private readonly statements;
  /** One reusable wrapper: creating a better-sqlite3 transaction function per call is costly. */
  private readonly runInTransaction: (fn: () => unknown) => unknown;
  private lastSeq: number | undefined;
  /** Highest run number per job key, read once per job. */
  private readonly lastNumber = new Map<string, number>();

  constructor(private readonly db: Database) {
    applyMigrations(db, "scheduler", SCHEDULER_MIGRATIONS);
    this.runInTransaction = db.transaction((fn: () => unknown) => fn());
    this.statements = {
      upsertJob: db.prepare(
        `INSERT INTO sched_jobs (job_ref, definition, job_hash, active, deployed_at_ms, archived_at_ms, watermark_ms)
         VALUES (@jobRef, @definition, @jobHash, 1, @deployedAtMs, NULL, NULL)
         ON CONFLICT (job_ref) DO UPDATE SET definition = excluded.definition, job_hash = excluded.job_hash,
           active = 1, deployed_at_ms = excluded.deployed_at_ms, archived_at_ms = NULL`,
      ),
      archiveJob: db.prepare("UPDATE sched_jobs SET active = 0, archived_at_ms = ? WHERE job_ref = ?"),
      allJobs: db.prepare("SELECT * FROM sched_jobs"),
      advanceWatermark: db.prepare(
        "UPDATE sched_jobs SET watermark_ms = ? WHERE job_ref = ? AND (watermark_ms IS NULL OR watermark_ms < ?)",
      ),
      clearWatermark: db.prepare("UPDATE sched_jobs SET watermark_ms = NULL WHERE job_ref = ?"),
      getWatermark: db.prepare("SELECT watermark_ms FROM sched_jobs WHERE job_ref = ?"),
      upsertTrigger: db.prepare(
        `INSERT INTO sched_triggers (job_ref, trigger, active, last_fire_ms, next_fire_ms, once_fired)
         VALUES (@jobRef, @trigger, @active, @lastFireMs, @nextFireMs, @onceFired)
         ON CONFLICT (job_ref, trigger) DO UPDATE SET active = excluded.active, last_fire_ms = excluded.last_fire_ms,
           next_fire_ms = excluded.next_fire_ms, once_fired = excluded.once_fired`,
      ),
      allTriggers: db.prepare("SELECT * FROM sched_triggers"),
      deactivateTriggers: db.prepare("UPDATE sched_triggers SET active = 0, next_fire_ms = NULL WHERE job_ref = ?"),
      insertRun: db.prepare(
        `INSERT INTO sched_runs (seq, run_id, job_ref, trigger, status, reason, since_ms, created_ms, started_ms, finished_ms,
           interval_start_ms, interval_end_ms, refresh, exit_code, cancel_cause, deployment_version, job_run_number, profile)
         VALUES (@seq, @runId, @jobRef, @trigger, @status, @reason, @sinceMs, @createdMs, @startedMs, @finishedMs,
           @intervalStartMs, @intervalEndMs, @refresh, @exitCode, @cancelCause, @deploymentVersion, @number, @profile)`,
      ),
      maxSeq: db.prepare("SELECT COALESCE(MAX(seq), 0) AS seq FROM sched_runs"),
      maxNumber: db.prepare("SELECT COALESCE(MAX(job_run_number), 0) AS n FROM sched_runs WHERE job_ref = ?"),
      runByNumber: db.prepare("SELECT * FROM sched_runs WHERE job_ref = ? AND job_run_number = ?"),
      updateRun: db.prepare(
        `UPDATE sched_runs SET trigger = @trigger, status = @status, reason = @reason, since_ms = @sinceMs,
           started_ms = @startedMs, finished_ms = @finishedMs, interval_start_ms = @intervalStartMs,
           interval_end_ms = @intervalEndMs, refresh = @refresh, exit_code = @exitCode, cancel_cause = @cancelCause
         WHERE run_id = @runId`,
      ),
      openRuns: db.prepare("SELECT * FROM sched_runs WHERE status IN ('pending', 'starting', 'running') ORDER BY seq"),
      runsOfJob: db.prepare("SELECT * FROM sched_runs WHERE job_ref = ? ORDER BY seq DESC LIMIT ?"),
      allRuns: db.prepare("SELECT * FROM sched_runs ORDER BY seq"),
      getRun: db.prepare("SELECT * FROM sched_runs WHERE run_id = ?"),
      setHeld: db.prepare(
        `INSERT INTO sched_held (job_ref, trigger, since_ms, reason) VALUES (@jobRef, @trigger, @sinceMs, @reason)
         ON CONFLICT (job_ref) DO UPDATE SET reason = excluded.reason`,
      ),
      deleteHeld: db.prepare("DELETE FROM sched_held WHERE job_ref = ?"),
      allHeld: db.prepare("SELECT job_ref, trigger, since_ms, reason FROM sched_held"),
      addFollowUp: db.prepare("INSERT OR REPLACE INTO sched_follow_up_outbox (run_id, event, created_ms) VALUES (?, ?, ?)"),
      deleteFollowUp: db.prepare("DELETE FROM sched_follow_up_outbox WHERE run_id = ?"),
      allFollowUps: db.prepare("SELECT run_id, event FROM sched_follow_up_outbox ORDER BY created_ms, rowid"),
      getMeta: db.prepare("SELECT value FROM sched_meta WHERE key = ?"),
      setMeta: db.prepare(
        "INSERT INTO sched_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
    };
  }

  transaction<T>(fn: () => T): T {
    return this.runInTransaction(fn) as T;
  }

  loadJobs(): StoredJob[] {
    return (this.statements.allJobs.all() as Array<Record<string, unknown>>).map((row) => ({
      jobRef: row.job_ref as string,
      definition: JSON.parse(row.definition as string) as Record<string, unknown>,
      jobHash: row.job_hash as string,
      active: row.active === 1,
      deployedAtMs: row.deployed_at_ms as number,
      archivedAtMs: (row.archived_at_ms as number | null) ?? null,
      watermarkMs: (row.watermark_ms as number | null) ?? null,
    }));
  }

  upsertJob(job: { jobRef: string; definition: Record<string, unknown>; jobHash: string; deployedAtMs: number }): void {
    this.statements.upsertJob.run({ ...job, definition: JSON.stringify(job.definition) });
  }

  archiveJob(jobRef: string, atMs: number): void {
    this.transaction(() => {
      this.statements.archiveJob.run(atMs, jobRef);
      this.statements.deactivateTriggers.run(jobRef);
      this.statements.deleteHeld.run(jobRef);
    });
  }

  /** Monotonic: only a strictly greater value wins. Returns the stored value afterwards. */
  advanceWatermark(jobRef: string, ms: number): number | null {
    this.statements.advanceWatermark.run(ms, jobRef, ms);
    return this.watermark(jobRef);
  }

  clearWatermark(jobRef: string): void {
    this.statements.clearWatermark.run(jobRef);
  }

  watermark(jobRef: string): number | null {
    const row = this.statements.getWatermark.get(jobRef) as { watermark_ms: number | null } | undefined;
    return row?.watermark_ms ?? null;
  }

  loadTriggers(): StoredTrigger[] {
    return (this.statements.allTriggers.all() as Array<Record<string, unknown>>).map((row) => ({
      jobRef: row.job_ref as string,
      trigger: row.trigger as string,
      active: row.active === 1,
      lastFireMs: (row.last_fire_ms as number | null) ?? null,
      nextFireMs: (row.next_fire_ms as number | null) ?? null,
      onceFired: row.once_fired === 1,
    }));
  }

  saveTrigger(state: StoredTrigger): void {
    this.statements.upsertTrigger.run({
      ...state,
      active: state.active ? 1 : 0,
      onceFired: state.onceFired ? 1 : 0,
    });
  }

  /**
   * Run ids are `run-<seq>`, numbered from the highest stored one (one writer per database);
   * every record of a job also gets the job's next run number (1, 2, 3 …).
   */
  insertRun<R extends NewRun>(run: R): R & { runId: string; number: number } {
    this.lastSeq ??= (this.statements.maxSeq.get() as { seq: number }).seq;
    const seq = this.lastSeq + 1;
    const runId = `run-${seq}`;
    const number = (this.lastNumber.get(run.jobRef) ?? (this.statements.maxNumber.get(run.jobRef) as { n: number }).n) + 1;
    this.statements.insertRun.run({ ...run, seq, runId, number, refresh: run.refresh ? 1 : 0 });
    this.lastSeq = seq;
    this.lastNumber.set(run.jobRef, number);
    return { ...run, runId, number };
  }

  /** Run `number` of the job `jobRef` (a job key). */
  runOfJob(jobRef: string, number: number): RunRecord | undefined {
    const row = this.statements.runByNumber.get(jobRef, number) as RunRow | undefined;
    return row ? toRun(row) : undefined;
  }

  updateRun(run: RunRecord): void {
    this.statements.updateRun.run({ ...run, refresh: run.refresh ? 1 : 0 });
  }

  getRun(runId: string): RunRecord | undefined {
    const row = this.statements.getRun.get(runId) as RunRow | undefined;
    return row ? toRun(row) : undefined;
  }

  openRuns(): OpenRun[] {
    return (this.statements.openRuns.all() as RunRow[]).map(toRun).filter((run): run is OpenRun => !isTerminal(run.status));
  }

  runsOfJob(jobRef: string, limit = 50): RunRecord[] {
    return (this.statements.runsOfJob.all(jobRef, limit) as RunRow[]).map(toRun);
  }

  allRuns(): RunRecord[] {
    return (this.statements.allRuns.all() as RunRow[]).map(toRun);
  }

  setHeld(held: HeldRetry): void {
    this.statements.setHeld.run(held);
  }

  deleteHeld(jobRef: string): void {
    this.statements.deleteHeld.run(jobRef);
  }

  loadHeld(): HeldRetry[] {
    return (this.statements.allHeld.all() as Array<Record<string, unknown>>).map((row) => ({
      jobRef: row.job_ref as string,
      trigger: row.trigger as string,
      sinceMs: row.since_ms as number,
      reason: row.reason as string,
    }));
  }

  /** Follow-ups owed for a finished run (written in the transaction that records its outcome). */
  addFollowUp(runId: string, event: string, atMs: number): void {
    this.statements.addFollowUp.run(runId, event, atMs);
  }

  deleteFollowUp(runId: string): void {
    this.statements.deleteFollowUp.run(runId);
  }

  /** Follow-ups recorded but not yet dispatched (a crash came between), oldest first. */
  owedFollowUps(): Array<{ runId: string; event: string }> {
    return (this.statements.allFollowUps.all() as Array<{ run_id: string; event: string }>).map((row) => ({ runId: row.run_id, event: row.event }));
  }

  getMeta(key: string): string | undefined {
    return (this.statements.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.statements.setMeta.run(key, value);
  }
}
