import type { Git } from "./git-cli.js";

export interface CommitInfo {
  sha: string;
  authorName: string;
  authorEmail: string;
  /** ISO-8601 author date. */
  committedAt: string;
  subject: string;
}

/** Normalizes a user-given folder inside a repo: "" means the root; no leading/trailing slashes. */
export function normalizeRepoPath(path: string | undefined): string {
  const trimmed = (path ?? "").replace(/\\/g, "/").replace(/^\.?\/+/, "").replace(/\/+$/, "");
  return trimmed === "." ? "" : trimmed;
}

export async function readCommitInfo(git: Git, gitDir: string, sha: string): Promise<CommitInfo> {
  const out = await git.run(["show", "-s", "--format=%H%x00%an%x00%ae%x00%aI%x00%s", `${sha}^{commit}`], { gitDir });
  const [fullSha = sha, authorName = "", authorEmail = "", committedAt = "", subject = ""] = out.replace(/\n$/, "").split("\0");
  return { sha: fullSha, authorName, authorEmail, committedAt, subject };
}

/**
 * The tree object of `path` at `sha`, or null when the folder does not exist in that commit.
 * Two commits with the same tree for a workspace folder deploy the same files.
 */
export async function workspaceTree(git: Git, gitDir: string, sha: string, path: string): Promise<string | null> {
  try {
    if (!path) return (await git.run(["rev-parse", "--verify", "--quiet", `${sha}^{tree}`], { gitDir })).trim() || null;
    const out = await git.run(["ls-tree", "-z", sha, "--", path], { gitDir });
    const match = /^\d+ tree ([0-9a-f]+)\t/.exec(out);
    return match?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Files changed between two commits (all files of `to` when `from` is null). */
export async function changedPaths(git: Git, gitDir: string, from: string | null, to: string): Promise<string[]> {
  const out = from
    ? await git.run(["diff", "--name-only", "--no-renames", "-z", from, to], { gitDir })
    : await git.run(["ls-tree", "-r", "--name-only", "-z", to], { gitDir });
  return out.split("\0").filter((p) => p.length > 0);
}

/** Whether any changed path lies inside the workspace folder (`""` = whole repo). */
export function touchesPath(paths: readonly string[], workspacePath: string): boolean {
  const folder = normalizeRepoPath(workspacePath);
  if (folder === "") return paths.length > 0;
  return paths.some((p) => p === folder || p.startsWith(`${folder}/`));
}

export async function hasCommit(git: Git, gitDir: string, sha: string): Promise<boolean> {
  try {
    await git.run(["cat-file", "-e", `${sha}^{commit}`], { gitDir });
    return true;
  } catch {
    return false;
  }
}
