import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { SluiceError } from "../../core/index.js";
import type { Git } from "./git-cli.js";

/**
 * Unpacks the workspace folder of a commit into `destDir` (git archive, no worktree
 * bookkeeping in the repo). Written to a sibling temp dir and renamed, so a crash never
 * leaves a half checkout under the final name. An existing complete checkout is reused.
 *
 * A folder without its own `.python-version` gets the nearest one above it in the repo: pyenv
 * and uv look upwards for it, so in the user's clone the workspace runs with that Python
 * (docs/environments.md, "Host venvs").
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
    if (options.path) await inheritPythonVersion(git, options, temp);
    await rename(temp, options.destDir);
    return options.destDir;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

const PYTHON_VERSION_FILE = ".python-version";

/** Copies the nearest `.python-version` above the folder `path` (at `sha`) into `dir`, unless it has its own. */
async function inheritPythonVersion(git: Git, options: { gitDir: string; sha: string; path: string }, dir: string): Promise<void> {
  if (await exists(join(dir, PYTHON_VERSION_FILE))) return;
  // nearest first: each parent folder of `path`, then the repo's root
  const candidates: string[] = [];
  for (let folder = posix.dirname(options.path.replace(/\/+$/, "")); folder !== "." && folder !== "/"; folder = posix.dirname(folder)) candidates.push(`${folder}/${PYTHON_VERSION_FILE}`);
  candidates.push(PYTHON_VERSION_FILE);
  const listed = await git.run(["ls-tree", "--name-only", options.sha, "--", ...candidates], { gitDir: options.gitDir });
  const present = new Set(listed.split("\n").filter(Boolean));
  const nearest = candidates.find((candidate) => present.has(candidate));
  if (nearest === undefined) return;
  await writeFile(join(dir, PYTHON_VERSION_FILE), await git.run(["show", `${options.sha}:${nearest}`], { gitDir: options.gitDir }));
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
