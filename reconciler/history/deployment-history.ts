import type { Database } from "../../core/index.js";
import { applyMigrations } from "../../core/index.js";
import type { DeploymentDiff } from "../diff/index.js";
import { RECONCILER_MIGRATION_PART, reconcilerMigrations } from "./migrations.js";
import type { DeploymentRecord, JobInventoryEntry, NewDeployment, WorkspaceState } from "./types.js";
import { WorkspaceStatus } from "./types.js";

interface DeploymentRow {
  id: number;
  workspace: string;
  status: DeploymentRecord["status"];
  kind: DeploymentRecord["kind"];
  version: number | null;
  version_hash: string | null;
  previous_hashes: string | null;
  commit_sha: string;
  tree_sha: string | null;
  author_name: string | null;
  author_email: string | null;
  committed_at: string | null;
  commit_subject: string | null;
  manifest: string | null;
  job_hashes: string | null;
  diff: string | null;
  warnings: string | null;
  dlt_version: string | null;
  checkout_dir: string | null;
  cause_code: string | null;
  cause_message: string | null;
  rollback_to_version: number | null;
  started_at: string;
  finished_at: string;
}

interface StateRow {
  workspace: string;
  status: WorkspaceState["status"];
  message: string | null;
  last_attempted_commit: string | null;
  last_attempted_tree: string | null;
  last_applied_commit: string | null;
  last_applied_tree: string | null;
  active_deployment_id: number | null;
  hold_at_head: string | null;
  updated_at: string;
}

const STATE_COLUMNS: Record<Exclude<keyof WorkspaceState, "workspace" | "updatedAt">, keyof StateRow> = {
  status: "status",
  message: "message",
  lastAttemptedCommit: "last_attempted_commit",
  lastAttemptedTree: "last_attempted_tree",
  lastAppliedCommit: "last_applied_commit",
  lastAppliedTree: "last_applied_tree",
  activeDeploymentId: "active_deployment_id",
  holdAtHead: "hold_at_head",
};

/**
 * Deployment history, job inventory and per-workspace reconcile status, in the shared SQLite
 * file. An applied deployment, its inventory changes and the new active pointer are written in
 * one transaction, so the history never shows a half-applied deployment.
 */
export class DeploymentHistory {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    applyMigrations(db, RECONCILER_MIGRATION_PART, reconcilerMigrations);
  }

  /** Records a successful deployment and makes it the active one. */
  recordApplied(deployment: NewDeployment): DeploymentRecord {
    return this.db.transaction(() => {
      const record = this.insert({ ...deployment, status: "applied" });
      if (deployment.diff) this.updateInventory(record.workspace, record.id, deployment.diff);
      this.updateState(record.workspace, {
        activeDeploymentId: record.id,
        lastAppliedCommit: record.commit.sha,
        lastAppliedTree: record.commit.treeSha ?? null,
      });
      return record;
    })();
  }

  /** Records a failed attempt; the active deployment stays as it was. */
  recordFailed(deployment: NewDeployment): DeploymentRecord {
    return this.insert({ ...deployment, status: "failed" });
  }

  get(id: number): DeploymentRecord | undefined {
    const row = this.db.prepare("SELECT * FROM reconciler_deployments WHERE id = ?").get(id) as DeploymentRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  active(workspace: string): DeploymentRecord | undefined {
    const id = this.getState(workspace)?.activeDeploymentId;
    return id == null ? undefined : this.get(id);
  }

  /** Newest first. */
  list(workspace: string, options: { limit?: number; status?: DeploymentRecord["status"] } = {}): DeploymentRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM reconciler_deployments WHERE workspace = ? ${options.status ? "AND status = ?" : ""} ORDER BY id DESC LIMIT ?`,
      )
      .all(...[workspace, ...(options.status ? [options.status] : []), options.limit ?? 100]) as DeploymentRow[];
    return rows.map(fromRow);
  }

  /** The most recent applied deployment that carried `version`. */
  findAppliedVersion(workspace: string, version: number): DeploymentRecord | undefined {
    const row = this.db
      .prepare("SELECT * FROM reconciler_deployments WHERE workspace = ? AND status = 'applied' AND version = ? ORDER BY id DESC LIMIT 1")
      .get(workspace, version) as DeploymentRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  inventory(workspace: string): JobInventoryEntry[] {
    const rows = this.db
      .prepare("SELECT * FROM reconciler_jobs WHERE workspace = ? ORDER BY job_ref")
      .all(workspace) as {
      job_ref: string;
      state: JobInventoryEntry["state"];
      hash: string;
      first_deployment_id: number;
      last_deployment_id: number;
      archived_at: string | null;
    }[];
    return rows.map((r) => ({
      jobRef: r.job_ref,
      state: r.state,
      hash: r.hash,
      firstDeploymentId: r.first_deployment_id,
      lastDeploymentId: r.last_deployment_id,
      archivedAt: r.archived_at,
    }));
  }

  archivedRefs(workspace: string): string[] {
    return this.inventory(workspace)
      .filter((entry) => entry.state === "archived")
      .map((entry) => entry.jobRef);
  }

  getState(workspace: string): WorkspaceState | undefined {
    const row = this.db.prepare("SELECT * FROM reconciler_workspace_state WHERE workspace = ?").get(workspace) as StateRow | undefined;
    if (!row) return undefined;
    return {
      workspace: row.workspace,
      status: row.status,
      message: row.message,
      lastAttemptedCommit: row.last_attempted_commit,
      lastAttemptedTree: row.last_attempted_tree,
      lastAppliedCommit: row.last_applied_commit,
      lastAppliedTree: row.last_applied_tree,
      activeDeploymentId: row.active_deployment_id,
      holdAtHead: row.hold_at_head,
      updatedAt: row.updated_at,
    };
  }

  listStates(): WorkspaceState[] {
    const rows = this.db.prepare("SELECT workspace FROM reconciler_workspace_state ORDER BY workspace").all() as { workspace: string }[];
    return rows.map((r) => this.getState(r.workspace)).filter((s): s is WorkspaceState => s !== undefined);
  }

  updateState(workspace: string, patch: Partial<Omit<WorkspaceState, "workspace" | "updatedAt">>): WorkspaceState {
    const nowIso = new Date(this.now()).toISOString();
    this.db
      .prepare("INSERT INTO reconciler_workspace_state (workspace, status, updated_at) VALUES (?, ?, ?) ON CONFLICT (workspace) DO NOTHING")
      .run(workspace, WorkspaceStatus.idle, nowIso);
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined) as [keyof typeof STATE_COLUMNS, unknown][];
    const sets = entries.map(([key]) => `${STATE_COLUMNS[key]} = ?`);
    this.db
      .prepare(`UPDATE reconciler_workspace_state SET ${[...sets, "updated_at = ?"].join(", ")} WHERE workspace = ?`)
      .run(...entries.map(([, v]) => v), nowIso, workspace);
    return this.getState(workspace) as WorkspaceState;
  }

  /** Forgets the reconcile status of a removed workspace; its deployment history is kept. */
  dropState(workspace: string): void {
    this.db.prepare("DELETE FROM reconciler_workspace_state WHERE workspace = ?").run(workspace);
  }

  private insert(d: NewDeployment): DeploymentRecord {
    const result = this.db
      .prepare(
        `INSERT INTO reconciler_deployments (workspace, status, kind, version, version_hash, previous_hashes, commit_sha, tree_sha,
          author_name, author_email, committed_at, commit_subject, manifest, job_hashes, diff, warnings, dlt_version, checkout_dir,
          cause_code, cause_message, rollback_to_version, started_at, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        d.workspace,
        d.status,
        d.kind,
        d.version,
        d.versionHash,
        JSON.stringify(d.previousHashes),
        d.commit.sha,
        d.commit.treeSha ?? null,
        d.commit.authorName ?? null,
        d.commit.authorEmail ?? null,
        d.commit.committedAt ?? null,
        d.commit.subject ?? null,
        d.manifest ? JSON.stringify(d.manifest) : null,
        JSON.stringify(d.jobHashes),
        d.diff ? JSON.stringify(d.diff) : null,
        JSON.stringify(d.warnings),
        d.dltVersion,
        d.checkoutDir,
        d.cause?.code ?? null,
        d.cause?.message ?? null,
        d.rollbackToVersion,
        d.startedAt,
        d.finishedAt,
      );
    return { ...d, id: Number(result.lastInsertRowid) };
  }

  private updateInventory(workspace: string, deploymentId: number, diff: DeploymentDiff): void {
    const upsert = this.db.prepare(
      `INSERT INTO reconciler_jobs (workspace, job_ref, state, hash, first_deployment_id, last_deployment_id, archived_at)
       VALUES (?, ?, 'active', ?, ?, ?, NULL)
       ON CONFLICT (workspace, job_ref) DO UPDATE SET state = 'active', hash = excluded.hash,
         last_deployment_id = excluded.last_deployment_id, archived_at = NULL`,
    );
    for (const change of [...diff.added, ...diff.updated, ...diff.unchanged]) {
      upsert.run(workspace, change.jobRef, change.hash ?? "", deploymentId, deploymentId);
    }
    const archive = this.db.prepare(
      "UPDATE reconciler_jobs SET state = 'archived', last_deployment_id = ?, archived_at = ? WHERE workspace = ? AND job_ref = ?",
    );
    const nowIso = new Date(this.now()).toISOString();
    for (const change of diff.archived) archive.run(deploymentId, nowIso, workspace, change.jobRef);
  }
}

function parseJson<T>(text: string | null, fallback: T): T {
  return text == null ? fallback : (JSON.parse(text) as T);
}

function fromRow(row: DeploymentRow): DeploymentRecord {
  const commit: DeploymentRecord["commit"] = { sha: row.commit_sha };
  if (row.tree_sha) commit.treeSha = row.tree_sha;
  if (row.author_name) commit.authorName = row.author_name;
  if (row.author_email) commit.authorEmail = row.author_email;
  if (row.committed_at) commit.committedAt = row.committed_at;
  if (row.commit_subject) commit.subject = row.commit_subject;
  return {
    id: row.id,
    workspace: row.workspace,
    status: row.status,
    kind: row.kind,
    version: row.version,
    versionHash: row.version_hash,
    previousHashes: parseJson(row.previous_hashes, []),
    commit,
    manifest: parseJson(row.manifest, null),
    jobHashes: parseJson(row.job_hashes, {}),
    diff: parseJson(row.diff, null),
    warnings: parseJson(row.warnings, []),
    dltVersion: row.dlt_version,
    checkoutDir: row.checkout_dir,
    cause: row.cause_code ? { code: row.cause_code, message: row.cause_message ?? "" } : null,
    rollbackToVersion: row.rollback_to_version,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
