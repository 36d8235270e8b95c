import type { DeploymentHistory, RepoEntry, RepoStore, RepoWorkspace, SkippedFolder, WorkspaceState } from "../history/index.js";

export interface ActiveVersion {
  version: number | null;
  commit: string;
  deployedAt: string;
}

export interface RepoWorkspaceStatus {
  name: string;
  /** Folder in the repo ("" = root). */
  path: string;
  state: WorkspaceState | null;
  active: ActiveVersion | null;
}

export interface RepoStatus {
  repo: RepoEntry;
  /** State and active version of the workspace named like the repo (the root or pinned one), if any. */
  state: WorkspaceState | null;
  active: ActiveVersion | null;
  /** Every workspace the repo feeds. */
  workspaces: RepoWorkspaceStatus[];
  /** Folders the last discovery did not deploy, with the reason (always empty for a pinned repo). */
  skipped: SkippedFolder[];
  /** Commit of the last discovery (null for a pinned repo or before the first one). */
  scannedCommit: string | null;
  /** Why the last discovery failed; it is retried. */
  scanError: string | null;
}

/** The API's view of one repo: its workspaces with their state, and what the last discovery skipped. */
export function repoStatusOf(repos: RepoStore, history: DeploymentHistory, repo: RepoEntry, scanError: string | null): RepoStatus {
  const workspaces = repos.workspaces(repo.name).map((w) => workspaceStatusOf(history, w));
  const own = workspaces.find((w) => w.name === repo.name);
  const scan = repo.discover ? repos.lastScan(repo.name) : undefined;
  return {
    repo,
    state: own?.state ?? null,
    active: own?.active ?? null,
    workspaces,
    skipped: scan?.skipped ?? [],
    scannedCommit: scan?.commit ?? null,
    scanError,
  };
}

function workspaceStatusOf(history: DeploymentHistory, entry: RepoWorkspace): RepoWorkspaceStatus {
  const state = history.getState(entry.workspace) ?? null;
  const active = history.active(entry.workspace);
  return {
    name: entry.workspace,
    path: entry.path,
    state,
    active: active ? { version: active.version, commit: active.commit.sha, deployedAt: active.finishedAt } : null,
  };
}
