import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { SluiceError } from "../../core/index.js";
import type { Git } from "./git-cli.js";

/**
 * Unpacks the workspace folder of a commit into `destDir` (git archive, no worktree
 * bookkeeping in the repo). Written to a sibling temp dir and renamed, so a crash never
 * leaves a half checkout under the final name. An existing complete checkout is reused.
 */
export async function checkoutCommit(git: Git, options: { gitDir: string; sha: string; path: string; destDir: string }): Promise<string> {
  if (await exists(options.destDir)) return options.destDir;
  await mkdir(dirname(options.destDir), { recursive: true });
  const temp = `${options.destDir}.partial-${process.pid}-${Date.now()}`;
  await mkdir(temp, { recursive: true });
  try {
    const treeish = options.path ? `${options.sha}:${options.path}` : options.sha;
    try {
      await git.archiveTo(treeish, temp, { gitDir: options.gitDir });
    } catch (error) {
      throw new SluiceError("checkout_failed", `Could not check out '${options.path || "/"}' of commit ${options.sha.slice(0, 12)}.`, {
        hint: options.path ? `Does the folder '${options.path}' exist on this commit? Check --path of the repo.` : undefined,
        details: { commit: options.sha, path: options.path },
        cause: error,
      });
    }
    await rename(temp, options.destDir);
    return options.destDir;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** Where a commit of a workspace is checked out under the home (`checkouts/<workspace>/<sha>`). */
export function checkoutDirFor(checkoutsRoot: string, workspace: string, sha: string): string {
  return join(checkoutsRoot, workspace, sha);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
