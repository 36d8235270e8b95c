import type { DeploymentDiff } from "../diff/index.js";

export const DeploymentStatus = { applied: "applied", failed: "failed" } as const;
export type DeploymentStatus = (typeof DeploymentStatus)[keyof typeof DeploymentStatus];

export const DeploymentKind = { push: "push", rollback: "rollback", remove: "remove" } as const;
export type DeploymentKind = (typeof DeploymentKind)[keyof typeof DeploymentKind];

export interface CommitMeta {
  sha: string;
  /** Tree of the workspace folder at this commit (decides whether a push touches the workspace). */
  treeSha?: string;
  authorName?: string;
  authorEmail?: string;
  /** ISO-8601 author date. */
  committedAt?: string;
  subject?: string;
}

export interface FailureCause {
  code: string;
  message: string;
}

export interface DeploymentRecord {
  id: number;
  workspace: string;
  status: DeploymentStatus;
  kind: DeploymentKind;
  /** Manifest version (null for failures before a manifest existed). */
  version: number | null;
  versionHash: string | null;
  previousHashes: string[];
  commit: CommitMeta;
  manifest: Record<string, unknown> | null;
  jobHashes: Record<string, string>;
  diff: DeploymentDiff | null;
  warnings: string[];
  dltVersion: string | null;
  checkoutDir: string | null;
  cause: FailureCause | null;
  rollbackToVersion: number | null;
  startedAt: string;
  finishedAt: string;
}

export type NewDeployment = Omit<DeploymentRecord, "id">;

export interface JobInventoryEntry {
  jobRef: string;
  state: "active" | "archived";
  hash: string;
  firstDeploymentId: number;
  lastDeploymentId: number;
  archivedAt: string | null;
}

export const WorkspaceStatus = {
  idle: "idle",
  reconciling: "reconciling",
  ready: "ready",
  failed: "failed",
  stalled: "stalled",
} as const;
export type WorkspaceStatus = (typeof WorkspaceStatus)[keyof typeof WorkspaceStatus];

export interface WorkspaceState {
  workspace: string;
  status: WorkspaceStatus;
  message: string | null;
  lastAttemptedCommit: string | null;
  lastAttemptedTree: string | null;
  lastAppliedCommit: string | null;
  lastAppliedTree: string | null;
  activeDeploymentId: number | null;
  /** Set by a rollback: automatic reconciles wait until the branch head moves past this commit. */
  holdAtHead: string | null;
  updatedAt: string;
}
