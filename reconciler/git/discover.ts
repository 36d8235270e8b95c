/**
 * Finds the dlt workspaces in one commit of a repository (docs/workspaces.md "Discovery and
 * naming"). A folder is deployable when it holds `__deployment__.py`; a folder that is a dlt
 * workspace (`.dlt/.workspace` or `pyproject.toml`) without one is ad-hoc only and reported.
 */
import type { Git } from "./git-cli.js";

/** Folders deeper than this below the repo root are not searched (`a/b/c/__deployment__.py` is the deepest). */
export const DISCOVERY_MAX_DEPTH = 3;

/** Folder names never searched (besides every name starting with a dot). */
export const DISCOVERY_SKIPPED_FOLDERS: ReadonlySet<string> = new Set(["node_modules", "venv", "__pycache__", "site-packages", "_local"]);

export const DEPLOYMENT_MODULE_FILE = "__deployment__.py";

export interface DiscoveredFolders {
  /** Folders holding `__deployment__.py` ("" = repo root), sorted; never nested in one another. */
  deployable: string[];
  /** dlt workspace folders (`.dlt/.workspace` or `pyproject.toml`) without `__deployment__.py`. */
  adHoc: string[];
  /** Folders with `__deployment__.py` inside another deployable folder (part of that workspace). */
  nested: Array<{ path: string; inside: string }>;
}

/** Lists the workspace folders of `sha` (one `git ls-tree`, no checkout). */
export async function discoverWorkspaceFolders(git: Git, gitDir: string, sha: string): Promise<DiscoveredFolders> {
  const out = await git.run(["ls-tree", "-r", "--name-only", "-z", sha], { gitDir });
  return classifyWorkspaceFolders(out.split("\0").filter((p) => p.length > 0));
}

/** The pure half of discovery: repo file paths → deployable, ad-hoc and nested folders. */
export function classifyWorkspaceFolders(files: readonly string[]): DiscoveredFolders {
  const deployments = new Set<string>();
  const markers = new Set<string>();
  for (const file of files) {
    const slash = file.lastIndexOf("/");
    const folder = slash < 0 ? "" : file.slice(0, slash);
    const base = file.slice(slash + 1);
    if (base === DEPLOYMENT_MODULE_FILE && searchable(folder)) deployments.add(folder);
    if (base === "pyproject.toml" && searchable(folder)) markers.add(folder);
    if (file === ".dlt/.workspace" || file.endsWith("/.dlt/.workspace")) {
      const owner = folder === ".dlt" ? "" : folder.slice(0, -"/.dlt".length);
      if (searchable(owner)) markers.add(owner);
    }
  }
  const sorted = [...deployments].sort((a, b) => a.length - b.length || a.localeCompare(b));
  const deployable: string[] = [];
  const nested: DiscoveredFolders["nested"] = [];
  for (const folder of sorted) {
    const inside = deployable.find((outer) => contains(outer, folder));
    if (inside === undefined) deployable.push(folder);
    else nested.push({ path: folder, inside });
  }
  const adHoc = [...markers].filter((folder) => !deployments.has(folder) && !deployable.some((outer) => contains(outer, folder))).sort();
  return { deployable: deployable.sort(), adHoc, nested };
}

function searchable(folder: string): boolean {
  if (folder === "") return true;
  const parts = folder.split("/");
  return parts.length <= DISCOVERY_MAX_DEPTH && parts.every((part) => !part.startsWith(".") && !DISCOVERY_SKIPPED_FOLDERS.has(part));
}

function contains(outer: string, inner: string): boolean {
  return outer === "" || inner.startsWith(`${outer}/`);
}
