import type { Database } from "../../core/index.js";
import { applyMigrations } from "../../core/index.js";
import { RECONCILER_MIGRATION_PART, reconcilerMigrations } from "./migrations.js";

export const RepoKind = { remote: "remote", hosted: "hosted" } as const;
export type RepoKind = (typeof RepoKind)[keyof typeof RepoKind];

/** One watched workspace: a folder (`path`, "" = repo root) of a branch of a git repository. */
export interface RepoEntry {
  name: string;
  kind: RepoKind;
  /** Remote URL or local path; for hosted repos the path of the bare repo Sluice serves. */
  url: string;
  branch: string;
  path: string;
  createdAt: string;
}

interface RepoRow {
  name: string;
  kind: RepoKind;
  url: string;
  branch: string;
  path: string;
  created_at: string;
}

export class RepoStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    applyMigrations(db, RECONCILER_MIGRATION_PART, reconcilerMigrations);
  }

  add(entry: Omit<RepoEntry, "createdAt">): RepoEntry {
    const createdAt = new Date(this.now()).toISOString();
    this.db
      .prepare("INSERT INTO reconciler_repos (name, kind, url, branch, path, created_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(entry.name, entry.kind, entry.url, entry.branch, entry.path, createdAt);
    return { ...entry, createdAt };
  }

  get(name: string): RepoEntry | undefined {
    const row = this.db.prepare("SELECT * FROM reconciler_repos WHERE name = ?").get(name) as RepoRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(): RepoEntry[] {
    return (this.db.prepare("SELECT * FROM reconciler_repos ORDER BY name").all() as RepoRow[]).map(fromRow);
  }

  remove(name: string): boolean {
    return this.db.prepare("DELETE FROM reconciler_repos WHERE name = ?").run(name).changes > 0;
  }
}

function fromRow(row: RepoRow): RepoEntry {
  return { name: row.name, kind: row.kind, url: row.url, branch: row.branch, path: row.path, createdAt: row.created_at };
}
