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
  /** While the branch cannot be read (remote unreachable, mirror broken): the error, since when (ISO), polls failed in a row. */
  sourceError: { message: string; since: string; attempts: number } | null;
}

/** What the daemon knows about a repo beyond its stores: failures it retries. */
export interface RepoProblems {
  scanError: string | null;
  sourceError: RepoStatus["sourceError"];
}

/** The API's view of one repo: its workspaces with their state, and what the last discovery skipped. */
export function repoStatusOf(repos: RepoStore, history: DeploymentHistory, repo: RepoEntry, problems: RepoProblems): RepoStatus {
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
    scanError: problems.scanError,
    sourceError: problems.sourceError,
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

export interface RepoProblem {
  repo: string;
  problem: "source_unreachable" | "discovery_failed";
  message: string;
  since: string | null;
}

/** Repos whose branch cannot be read or whose discovery fails: both are retried, the user should know. */
export function repoProblems(repos: RepoStatus[]): RepoProblem[] {
  return repos.flatMap((r) => [
    ...(r.sourceError ? [{ repo: r.repo.name, problem: "source_unreachable" as const, message: `cannot read branch '${r.repo.branch}' of ${r.repo.url} (${r.sourceError.attempts} poll(s) in a row, retried): ${r.sourceError.message}`, since: r.sourceError.since }] : []),
    ...(r.scanError ? [{ repo: r.repo.name, problem: "discovery_failed" as const, message: `discovery failed (retried): ${r.scanError}`, since: null }] : []),
  ]);
}
