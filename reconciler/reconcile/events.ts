import type { DeploymentRecord, SkippedFolder, WorkspaceStatus } from "../history/index.js";

/** Events of the reconcile loop, for the daemon's event stream and for tests to wait on. */
export interface ReconcilerEventMap {
  "reconcile:started": { workspace: string; commit: string };
  "reconcile:skipped": { workspace: string; commit: string; reason: string };
  "deployment:applied": { workspace: string; deployment: DeploymentRecord };
  "deployment:failed": { workspace: string; deployment: DeploymentRecord; status: WorkspaceStatus; retryInMs: number | null };
  /** A repo without --path was scanned for workspace folders at `commit`. */
  "repo:scanned": { repo: string; commit: string; workspaces: string[]; skipped: SkippedFolder[] };
  /** A workspace stopped being fed by its repo (repo removed, folder gone); its jobs are archived. */
  "workspace:removed": { workspace: string; repo: string; reason: string; archived: string[] };
}
