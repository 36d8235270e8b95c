import type { Database } from "../../core/index.js";
import { applyMigrations } from "../../core/index.js";
import { RECONCILER_MIGRATION_PART, reconcilerMigrations } from "./migrations.js";

export const RepoKind = { remote: "remote", hosted: "hosted" } as const;
export type RepoKind = (typeof RepoKind)[keyof typeof RepoKind];

/**
 * A watched branch of a git repository. With `discover` every workspace folder of each commit is
 * deployed (docs/workspaces.md); without it the repo is pinned to one folder (`path`, "" = root),
 * deployed as the workspace named like the repo.
 */
export interface RepoEntry {
  name: string;
  kind: RepoKind;
  /** Remote URL or local path; for hosted repos the path of the bare repo Sluice serves. */
  url: string;
  branch: string;
  path: string;
  discover: boolean;
  createdAt: string;
}

/** One workspace fed by a repo: the folder `path` of the repo's branch. */
export interface RepoWorkspace {
  workspace: string;
  repo: string;
  path: string;
  createdAt: string;
}

/** A folder the last discovery did not deploy, and why. */
export interface SkippedFolder {
  path: string;
  reason: string;
}

/** The outcome of the last discovery of a repo. */
export interface RepoScan {
  repo: string;
  commit: string;
  skipped: SkippedFolder[];
  scannedAt: string;
}

interface RepoRow {
  name: string;
  kind: RepoKind;
  url: string;
  branch: string;
  path: string;
  discover: number;
  created_at: string;
}

interface WorkspaceRow {
  workspace: string;
  repo: string;
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

  /** Registers a repo; a pinned one (`discover: false`) also registers its one workspace. */
  add(entry: Omit<RepoEntry, "createdAt">): RepoEntry {
    const createdAt = this.isoNow();
    this.db.transaction(() => {
      this.db
        .prepare("INSERT INTO reconciler_repos (name, kind, url, branch, path, discover, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .run(entry.name, entry.kind, entry.url, entry.branch, entry.path, entry.discover ? 1 : 0, createdAt);
      if (!entry.discover) this.addWorkspace({ workspace: entry.name, repo: entry.name, path: entry.path });
    })();
    return { ...entry, createdAt };
  }

  get(name: string): RepoEntry | undefined {
    const row = this.db.prepare("SELECT * FROM reconciler_repos WHERE name = ?").get(name) as RepoRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(): RepoEntry[] {
    return (this.db.prepare("SELECT * FROM reconciler_repos ORDER BY name").all() as RepoRow[]).map(fromRow);
  }

  /** Forgets the repo, its workspaces and its last scan (deployment history is kept elsewhere). */
  remove(name: string): boolean {
    return this.db.transaction(() => {
      this.db.prepare("DELETE FROM reconciler_repo_workspaces WHERE repo = ?").run(name);
      this.db.prepare("DELETE FROM reconciler_repo_scans WHERE repo = ?").run(name);
      return this.db.prepare("DELETE FROM reconciler_repos WHERE name = ?").run(name).changes > 0;
    })();
  }

  addWorkspace(entry: Omit<RepoWorkspace, "createdAt">): RepoWorkspace {
    const createdAt = this.isoNow();
    this.db
      .prepare("INSERT INTO reconciler_repo_workspaces (workspace, repo, path, created_at) VALUES (?, ?, ?, ?)")
      .run(entry.workspace, entry.repo, entry.path, createdAt);
    return { ...entry, createdAt };
  }

  removeWorkspace(workspace: string): void {
    this.db.prepare("DELETE FROM reconciler_repo_workspaces WHERE workspace = ?").run(workspace);
  }

  /** The repo folder that feeds `workspace`, if a repo does. */
  workspace(workspace: string): RepoWorkspace | undefined {
    const row = this.db.prepare("SELECT * FROM reconciler_repo_workspaces WHERE workspace = ?").get(workspace) as WorkspaceRow | undefined;
    return row ? workspaceFromRow(row) : undefined;
  }

  /** The repo that feeds `workspace` (pinned or discovered), if any. */
  feedOf(workspace: string): RepoEntry | undefined {
    const entry = this.workspace(workspace);
    return entry ? this.get(entry.repo) : undefined;
  }

  /** Workspaces of one repo (or of every repo), by name. */
  workspaces(repo?: string): RepoWorkspace[] {
    const rows = (
      repo === undefined
        ? this.db.prepare("SELECT * FROM reconciler_repo_workspaces ORDER BY workspace").all()
        : this.db.prepare("SELECT * FROM reconciler_repo_workspaces WHERE repo = ? ORDER BY workspace").all(repo)
    ) as WorkspaceRow[];
    return rows.map(workspaceFromRow);
  }

  recordScan(scan: Omit<RepoScan, "scannedAt">): RepoScan {
    const scannedAt = this.isoNow();
    this.db
      .prepare(
        `INSERT INTO reconciler_repo_scans (repo, commit_sha, skipped, scanned_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (repo) DO UPDATE SET commit_sha = excluded.commit_sha, skipped = excluded.skipped, scanned_at = excluded.scanned_at`,
      )
      .run(scan.repo, scan.commit, JSON.stringify(scan.skipped), scannedAt);
    return { ...scan, scannedAt };
  }

  lastScan(repo: string): RepoScan | undefined {
    const row = this.db.prepare("SELECT * FROM reconciler_repo_scans WHERE repo = ?").get(repo) as
      | { repo: string; commit_sha: string; skipped: string; scanned_at: string }
      | undefined;
    return row ? { repo: row.repo, commit: row.commit_sha, skipped: JSON.parse(row.skipped) as SkippedFolder[], scannedAt: row.scanned_at } : undefined;
  }

  private isoNow(): string {
    return new Date(this.now()).toISOString();
  }
}

function fromRow(row: RepoRow): RepoEntry {
  return { name: row.name, kind: row.kind, url: row.url, branch: row.branch, path: row.path, discover: row.discover === 1, createdAt: row.created_at };
}

function workspaceFromRow(row: WorkspaceRow): RepoWorkspace {
  return { workspace: row.workspace, repo: row.repo, path: row.path, createdAt: row.created_at };
}
