/**
 * Which workspaces a discovering repo deploys at one commit, and under which names
 * (docs/workspaces.md "Discovery and naming"). Pure: the GitOps service does the git and the
 * bookkeeping around it.
 */
import type { DiscoveredFolders } from "../git/index.js";
import type { RepoWorkspace, SkippedFolder } from "../history/index.js";

/** Repo and workspace names: what `sluice` verbs and the proxy URL `/w/<workspace>/…` accept. */
export const WORKSPACE_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const AD_HOC_REASON = "no __deployment__.py — ad-hoc only, use `sluice launch`/`sluice serve`";

export interface PlannedWorkspace {
  workspace: string;
  path: string;
}

export interface WorkspacePlan {
  /** Every workspace the repo deploys at this commit, by name. */
  workspaces: PlannedWorkspace[];
  /** New names, and known names whose folder moved. */
  added: PlannedWorkspace[];
  moved: PlannedWorkspace[];
  /** Known workspaces of the repo that this commit no longer has. */
  removed: string[];
  skipped: SkippedFolder[];
}

export interface PlanInput {
  repo: string;
  folders: DiscoveredFolders;
  /** Workspaces the repo fed until now. */
  current: readonly RepoWorkspace[];
  /** Who else holds `name` (another repo's workspace, a local deploy), or null when it is free. */
  ownerOf(name: string): string | null;
}

/** The workspace name of a folder: the repo name for the root, else the folder path with `/` → `-`. */
export function workspaceNameFor(repo: string, folder: string): string | null {
  if (folder === "") return repo;
  const name = folder.toLowerCase().replace(/\//g, "-").replace(/[^a-z0-9_-]/g, "-");
  return WORKSPACE_NAME_RE.test(name) ? name : null;
}

export function planRepoWorkspaces(input: PlanInput): WorkspacePlan {
  const skipped: SkippedFolder[] = [];
  const claimed = new Map<string, string>();
  const knownPath = new Map(input.current.map((w) => [w.workspace, w.path]));
  // folders the repo already deploys keep their names when a clashing folder appears later
  const order = [...input.folders.deployable].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  function rank(folder: string): number {
    const name = workspaceNameFor(input.repo, folder);
    return name !== null && knownPath.get(name) === folder ? 0 : 1;
  }
  for (const folder of order) {
    const name = workspaceNameFor(input.repo, folder);
    const reason = name === null ? invalidNameReason(folder) : clashReason(name, claimed, input.ownerOf(name));
    if (reason || name === null) skipped.push({ path: folder, reason: reason ?? "" });
    else claimed.set(name, folder);
  }
  for (const folder of input.folders.adHoc) skipped.push({ path: folder, reason: AD_HOC_REASON });
  for (const { path, inside } of input.folders.nested) {
    skipped.push({ path, reason: `inside the workspace folder '${inside || "/"}': part of that workspace, not one of its own` });
  }
  const workspaces = [...claimed].map(([workspace, path]) => ({ workspace, path })).sort((a, b) => a.workspace.localeCompare(b.workspace));
  return {
    workspaces,
    added: workspaces.filter((w) => !knownPath.has(w.workspace)),
    moved: workspaces.filter((w) => knownPath.has(w.workspace) && knownPath.get(w.workspace) !== w.path),
    removed: input.current.map((w) => w.workspace).filter((name) => !claimed.has(name)),
    skipped: skipped.sort((a, b) => a.path.localeCompare(b.path)),
  };
}

function invalidNameReason(folder: string): string {
  return `folder name does not give a valid workspace name (lower-case letters, digits, '-', '_', at most 63 characters); rename the folder or add it on its own with \`sluice repo add <name> --url <repo> --path ${folder}\``;
}

function clashReason(name: string, claimed: Map<string, string>, owner: string | null): string | null {
  const sibling = claimed.get(name);
  if (sibling !== undefined) return `workspace name '${name}' is already taken by folder '${sibling || "/"}' of this repo; rename one of the folders`;
  if (owner) return `workspace name '${name}' is already used by ${owner}; rename the folder or remove the other workspace`;
  return null;
}
