import type { Migration } from "../../core/index.js";

/** Migration part name of the reconciler's tables in the shared SQLite store. */
export const RECONCILER_MIGRATION_PART = "reconciler";

export const reconcilerMigrations: readonly Migration[] = [
  {
    id: "001-repos-deployments",
    sql: `
      CREATE TABLE reconciler_repos (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('remote', 'hosted')),
        url TEXT NOT NULL,
        branch TEXT NOT NULL,
        path TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE reconciler_deployments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('applied', 'failed')),
        kind TEXT NOT NULL CHECK (kind IN ('push', 'rollback', 'remove')),
        version INTEGER,
        version_hash TEXT,
        previous_hashes TEXT,
        commit_sha TEXT NOT NULL,
        tree_sha TEXT,
        author_name TEXT,
        author_email TEXT,
        committed_at TEXT,
        commit_subject TEXT,
        manifest TEXT,
        job_hashes TEXT,
        diff TEXT,
        warnings TEXT,
        dlt_version TEXT,
        checkout_dir TEXT,
        cause_code TEXT,
        cause_message TEXT,
        rollback_to_version INTEGER,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL
      );
      CREATE INDEX reconciler_deployments_ws ON reconciler_deployments (workspace, id);
      CREATE TABLE reconciler_jobs (
        workspace TEXT NOT NULL,
        job_ref TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('active', 'archived')),
        hash TEXT NOT NULL,
        first_deployment_id INTEGER NOT NULL,
        last_deployment_id INTEGER NOT NULL,
        archived_at TEXT,
        PRIMARY KEY (workspace, job_ref)
      );
      CREATE TABLE reconciler_workspace_state (
        workspace TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        message TEXT,
        last_attempted_commit TEXT,
        last_attempted_tree TEXT,
        last_applied_commit TEXT,
        last_applied_tree TEXT,
        active_deployment_id INTEGER,
        hold_at_head TEXT,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    // A repo without --path discovers its workspaces (discover = 1); older rows stay pinned to their path.
    id: "002-repo-workspaces",
    sql: `
      ALTER TABLE reconciler_repos ADD COLUMN discover INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE reconciler_repo_workspaces (
        workspace TEXT PRIMARY KEY,
        repo TEXT NOT NULL,
        path TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      INSERT INTO reconciler_repo_workspaces (workspace, repo, path, created_at)
        SELECT name, name, path, created_at FROM reconciler_repos;
      CREATE TABLE reconciler_repo_scans (
        repo TEXT PRIMARY KEY,
        commit_sha TEXT NOT NULL,
        skipped TEXT NOT NULL,
        scanned_at TEXT NOT NULL
      );
    `,
  },
];
