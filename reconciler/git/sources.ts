import { createHash } from "node:crypto";
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { SluiceError } from "../../core/index.js";
import { hasCommit } from "./commits.js";
import type { Git } from "./git-cli.js";

/** A branch of a repository that Sluice can read commits from locally. */
export interface BranchSource {
  /** Stable key: the same url+branch is polled once for all its workspaces. */
  readonly key: string;
  readonly branch: string;
  /** A local git dir holding the branch's commits (the hosted bare repo, or a mirror). */
  readonly gitDir: string;
  /** Current head of the branch (fetching it into `gitDir` when needed); null when the branch has no commit yet. */
  head(): Promise<string | null>;
}

export function sourceKey(url: string, branch: string): string {
  return `${url}#${branch}`;
}

/** A bare repo Sluice hosts: `git push sluice main` moves its ref, the poll notices. */
export function hostedSource(git: Git, bareDir: string, branch: string): BranchSource {
  return {
    key: sourceKey(bareDir, branch),
    branch,
    gitDir: bareDir,
    async head() {
      try {
        const out = await git.run(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`], { gitDir: bareDir });
        return out.trim() || null;
      } catch {
        return null;
      }
    },
  };
}

/**
 * A remote (or a local working repo by path): `ls-remote` is the cheap poll, a fetch into a
 * bare mirror under the home happens only when the head is a commit the mirror lacks.
 */
export function remoteSource(git: Git, options: { url: string; branch: string; mirrorsDir: string }): BranchSource {
  const gitDir = join(options.mirrorsDir, `${createHash("sha256").update(options.url).digest("hex").slice(0, 16)}.git`);
  const ref = `refs/heads/${options.branch}`;
  return {
    key: sourceKey(options.url, options.branch),
    branch: options.branch,
    gitDir,
    async head() {
      const out = await git.run(["ls-remote", "--", options.url, ref]);
      const line = out.split("\n").find((l) => l.endsWith(`\t${ref}`));
      const sha = line?.split("\t")[0];
      if (!sha) return null;
      await ensureBareRepo(git, gitDir);
      if (!(await hasCommit(git, gitDir, sha))) {
        await git.run(["fetch", "--quiet", "--no-tags", "--", options.url, `+${ref}:${ref}`], { gitDir });
      }
      return sha;
    },
  };
}

async function ensureBareRepo(git: Git, gitDir: string): Promise<void> {
  try {
    await stat(join(gitDir, "HEAD"));
  } catch {
    await mkdir(gitDir, { recursive: true });
    await git.run(["init", "--quiet", "--bare", gitDir]);
  }
}

/** Creates the bare repo for `sluice repo add <name> --push` and returns its path. */
export async function createHostedRepo(git: Git, options: { reposDir: string; name: string; branch: string }): Promise<string> {
  const bareDir = join(options.reposDir, `${options.name}.git`);
  try {
    await stat(join(bareDir, "HEAD"));
    throw new SluiceError("repo_exists", `A hosted repository '${options.name}' already exists at ${bareDir}.`, {
      hint: "Pick another name or remove the existing repo first.",
    });
  } catch (error) {
    if (error instanceof SluiceError) throw error;
  }
  await mkdir(bareDir, { recursive: true });
  await git.run(["init", "--quiet", "--bare", `--initial-branch=${options.branch}`, bareDir]);
  // Pushes into a repo that is only read by archive/rev-parse: no hooks are needed or installed.
  await git.run(["config", "receive.denyDeletes", "true"], { gitDir: bareDir });
  return bareDir;
}
