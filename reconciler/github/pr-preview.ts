/**
 * The dry-run of a pull request's head: fetch `refs/pull/<n>/head` (else the head branch) into
 * the repo's mirror, check out each workspace folder, generate the manifest with dlt, validate,
 * run the target's checks and diff against what is deployed. Nothing is applied.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { JobLike } from "../diff/index.js";
import { diffDeployments } from "../diff/index.js";
import type { Git } from "../git/index.js";
import { checkoutCommit, discoverWorkspaceFolders, hostedSource, remoteSource } from "../git/index.js";
import type { DeploymentHistory, RepoEntry, RepoStore } from "../history/index.js";
import type { DeploymentTarget, ManifestPort, ManifestValidatorPort } from "../reconcile/index.js";
import { assertValidManifest, causeOf, planRepoWorkspaces } from "../reconcile/index.js";
import type { WorkspacePreview } from "./preview-comment.js";
import { annotationsOf } from "./render.js";

export interface PreviewDeps {
  git: Git;
  repos: RepoStore;
  history: DeploymentHistory;
  manifests: ManifestPort;
  validator: ManifestValidatorPort | undefined;
  target: DeploymentTarget;
  mirrorsDir: string;
  checkoutsDir: string;
}

export interface PullRequestRef {
  number: number;
  headSha: string;
  headRef: string;
}

/** The repo's git dir (hosted bare repo or mirror) holding the PR head; returns the commit to preview. */
export async function fetchPullHead(deps: PreviewDeps, repo: RepoEntry, pr: PullRequestRef): Promise<{ gitDir: string; sha: string }> {
  const { git } = deps;
  const source = repo.kind === "hosted" ? hostedSource(git, repo.url, repo.branch) : remoteSource(git, { url: repo.url, branch: repo.branch, mirrorsDir: deps.mirrorsDir });
  const gitDir = source.gitDir;
  const exists = await stat(join(gitDir, "HEAD")).then(() => true, () => false);
  if (!exists) await git.run(["init", "--quiet", "--bare", gitDir]);
  const local = `refs/sluice/pull/${pr.number}`;
  if (repo.kind !== "hosted") {
    try {
      await git.run(["fetch", "--quiet", "--no-tags", "--", repo.url, `+refs/pull/${pr.number}/head:${local}`], { gitDir });
    } catch {
      await git.run(["fetch", "--quiet", "--no-tags", "--", repo.url, `+refs/heads/${pr.headRef}:${local}`], { gitDir });
    }
  }
  const has = await git.run(["cat-file", "-e", `${pr.headSha}^{commit}`], { gitDir }).then(() => true, () => false);
  const sha = has ? pr.headSha : (await git.run(["rev-parse", local], { gitDir })).trim();
  return { gitDir, sha };
}

/** The workspaces the commit would deploy: the pinned one, or every discovered folder. */
async function workspacesAt(deps: PreviewDeps, repo: RepoEntry, gitDir: string, sha: string): Promise<{ workspace: string; path: string }[]> {
  if (!repo.discover) return [{ workspace: repo.name, path: repo.path }];
  const folders = await discoverWorkspaceFolders(deps.git, gitDir, sha);
  const plan = planRepoWorkspaces({ repo: repo.name, folders, current: deps.repos.workspaces(repo.name), ownerOf: () => null });
  return plan.workspaces.map((w) => ({ workspace: w.workspace, path: w.path }));
}

export async function previewCommit(deps: PreviewDeps, repo: RepoEntry, gitDir: string, sha: string): Promise<WorkspacePreview[]> {
  const out: WorkspacePreview[] = [];
  for (const { workspace, path } of await workspacesAt(deps, repo, gitDir, sha)) {
    try {
      const dir = await checkoutCommit(deps.git, { gitDir, sha, path, destDir: join(deps.checkoutsDir, workspace, sha) });
      const generated = await deps.manifests.generate({ workspace, workspaceDir: dir, commit: sha });
      assertValidManifest(workspace, generated.manifest, deps.validator);
      deps.target.check?.(workspace, generated.manifest.jobs, generated.jobHashes);
      const active = deps.history.active(workspace);
      const previousJobs = ((active?.manifest?.jobs as JobLike[] | undefined) ?? []).slice();
      const previous = active?.manifest ? { jobs: previousJobs, jobHashes: active.jobHashes, archivedRefs: deps.history.archivedRefs(workspace) } : null;
      const diff = diffDeployments(previous, { jobs: generated.manifest.jobs, jobHashes: generated.jobHashes });
      out.push({ workspace, folder: path, result: { ok: true, diff, jobs: generated.manifest.jobs, previous: previousJobs, warnings: generated.warnings } });
    } catch (error) {
      const cause = causeOf(error);
      out.push({ workspace, folder: path, result: { ok: false, cause, annotations: annotationsOf(cause, path) } });
    }
  }
  return out;
}
