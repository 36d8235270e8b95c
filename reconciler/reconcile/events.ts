import type { DeploymentRecord, WorkspaceStatus } from "../history/index.js";

/** Events of the reconcile loop, for the daemon's event stream and for tests to wait on. */
export interface ReconcilerEventMap {
  "reconcile:started": { workspace: string; commit: string };
  "reconcile:skipped": { workspace: string; commit: string; reason: string };
  "deployment:applied": { workspace: string; deployment: DeploymentRecord };
  "deployment:failed": { workspace: string; deployment: DeploymentRecord; status: WorkspaceStatus; retryInMs: number | null };
}
