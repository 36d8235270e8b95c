import type { Migration } from "../../core/index.js";

/** Migration part name of the GitHub reporting tables in the shared SQLite store. */
export const GITHUB_MIGRATION_PART = "github";

export const githubMigrations: readonly Migration[] = [
  {
    id: "001-github-reporting",
    sql: `
      CREATE TABLE github_bindings (
        repo TEXT PRIMARY KEY,
        full_name TEXT NOT NULL
      );
      CREATE TABLE github_reports (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        stream TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dropped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        last_error TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX github_reports_pending ON github_reports (state, stream, id);
      CREATE TABLE github_check_runs (
        stream TEXT PRIMARY KEY,
        check_run_id INTEGER NOT NULL
      );
      CREATE TABLE github_deliveries (
        id TEXT PRIMARY KEY,
        received_at INTEGER NOT NULL
      );
    `,
  },
];
