/** Scheduler tables (part "scheduler" in schema_migrations). Instants are epoch ms (UTC). */
import type { Migration } from "../../../core/index.js";

export const SCHEDULER_MIGRATIONS: readonly Migration[] = [
  {
    id: "001-scheduler-state",
    sql: `
      CREATE TABLE sched_jobs (
        job_ref TEXT PRIMARY KEY,
        definition TEXT NOT NULL,
        job_hash TEXT NOT NULL,
        active INTEGER NOT NULL,
        deployed_at_ms INTEGER NOT NULL,
        archived_at_ms INTEGER,
        watermark_ms INTEGER
      );
      CREATE TABLE sched_triggers (
        job_ref TEXT NOT NULL,
        trigger TEXT NOT NULL,
        active INTEGER NOT NULL,
        last_fire_ms INTEGER,
        next_fire_ms INTEGER,
        once_fired INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job_ref, trigger)
      );
      CREATE TABLE sched_runs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL UNIQUE,
        job_ref TEXT NOT NULL,
        trigger TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        since_ms INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        started_ms INTEGER,
        finished_ms INTEGER,
        interval_start_ms INTEGER,
        interval_end_ms INTEGER,
        refresh INTEGER NOT NULL,
        exit_code INTEGER,
        cancel_cause TEXT,
        deployment_version INTEGER
      );
      CREATE INDEX sched_runs_job ON sched_runs (job_ref, seq);
      CREATE INDEX sched_runs_status ON sched_runs (status);
      CREATE TABLE sched_held (
        job_ref TEXT PRIMARY KEY,
        trigger TEXT NOT NULL,
        since_ms INTEGER NOT NULL,
        reason TEXT NOT NULL
      );
      CREATE TABLE sched_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    // per-job run numbers (1, 2, 3 … per job key, kept across restarts) and the profile a run
    // was asked for (`trigger --profile`), which a queued run keeps until it starts
    id: "002-run-numbers-and-profile",
    sql: `
      ALTER TABLE sched_runs ADD COLUMN job_run_number INTEGER;
      ALTER TABLE sched_runs ADD COLUMN profile TEXT;
      UPDATE sched_runs SET job_run_number = (
        SELECT COUNT(*) FROM sched_runs AS earlier WHERE earlier.job_ref = sched_runs.job_ref AND earlier.seq <= sched_runs.seq
      );
      CREATE UNIQUE INDEX sched_runs_job_number ON sched_runs (job_ref, job_run_number);
    `,
  },
  {
    // a finished run's follow-up event (`job.success:<ref>` / `job.fail:<ref>`), written with its
    // outcome and deleted with the follow-up runs it created: a crash in between leaves the row,
    // and the next start dispatches it (exactly once: the runs and the delete are one transaction)
    id: "003-follow-up-outbox",
    sql: `
      CREATE TABLE sched_follow_up_outbox (
        run_id TEXT PRIMARY KEY,
        event TEXT NOT NULL,
        created_ms INTEGER NOT NULL
      );
    `,
  },
];
