/**
 * `sluice deploy <dir>` / `launch file.py`: deploys a local workspace directory without git,
 * through the same generate → validate → version bump → diff → apply path as a push (a
 * WorkspaceReconciler whose "commit" is a content hash of the directory). Dry runs stop
 * after the diff. A workspace fed by a registered repo cannot be deployed this way. A deploy
 * of one script (`launch`/`serve file.py`, `deploy --file`) is ad hoc: it adds or updates
 * that script's jobs and leaves the workspace's other jobs alone; a full deploy replaces them.
 */
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { isAbsolute } from "node:path";
import type { Clock, Logger, TypedEvents } from "../../core/index.js";
import { SluiceError } from "../../core/index.js";
import { bumpVersion, diffDeployments } from "../../reconciler/diff/index.js";
import type { CommitMeta, DeploymentHistory, RepoStore } from "../../reconciler/history/index.js";
import { generateManifest } from "../../reconciler/manifest/index.js";
import type { DeploymentTarget, ManifestPortResult, ManifestValidatorPort, ReconcilerEventMap } from "../../reconciler/reconcile/index.js";
import { WorkspaceReconciler, assertValidManifest, causeOf } from "../../reconciler/reconcile/index.js";
import type { JobLike } from "../../reconciler/diff/index.js";
import { expandTriggers } from "../../schemas/index.js";
import type { DeployDirInput, DeployDirView } from "../daemon/runtime-types.js";
import { snapshotCheckout, snapshotHash, workspaceNameOf } from "./workspace-snapshot.js";

export interface LocalDeployerOptions {
  checkoutsDir: string;
  history: DeploymentHistory;
  repos: RepoStore;
  target: DeploymentTarget;
  validator: ManifestValidatorPort | undefined;
  events: TypedEvents<ReconcilerEventMap>;
  clock: Clock;
  executor: "docker" | "local";
  timeoutMs: number;
  logger: Logger;
}

/** Commits of ad-hoc deploys (one script) start with this; `deployments` shows them as `ad-hoc`. */
export const AD_HOC_SHA_PREFIX = "adhoc-";

/**
 * The active manifest with one script's jobs added or updated (dlt's ad-hoc deploy:
 * `launch`/`serve file.py` must not archive the workspace's other jobs). The version hash of
 * the merged set is a sha256 over its sorted job hashes (dlt's hash covers one generation).
 */
export function mergeAdHoc(
  active: ManifestPortResult["manifest"],
  activeHashes: Readonly<Record<string, string>>,
  script: ManifestPortResult,
): ManifestPortResult {
  const incoming = new Set(script.manifest.jobs.map((job) => job.job_ref));
  const jobs = [...active.jobs.filter((job) => !incoming.has(job.job_ref)), ...script.manifest.jobs];
  const jobHashes: Record<string, string> = {};
  for (const job of jobs) jobHashes[job.job_ref] = script.jobHashes[job.job_ref] ?? activeHashes[job.job_ref] ?? "";
  const manifestHash = createHash("sha256")
    .update(JSON.stringify(Object.entries(jobHashes).sort(([a], [b]) => (a < b ? -1 : 1))))
    .digest("base64");
  return { ...script, manifest: { ...script.manifest, jobs }, jobHashes, manifestHash };
}

export function createLocalDeployer(options: LocalDeployerOptions): (input: DeployDirInput) => Promise<DeployDirView> {
  const manifests = createDeployManifests(options);
  const reconcilers = new Map<string, WorkspaceReconciler>();
  const reconcilerFor = (workspace: string) => {
    let reconciler = reconcilers.get(workspace);
    if (!reconciler) {
      reconciler = new WorkspaceReconciler({
        workspace,
        // the deployer checks out and never calls the git port
        git: { treeOf: async () => null, commitMeta: async (sha) => ({ sha }), checkout: async () => "" },
        manifests: { generate: ({ workspaceDir }) => manifests.generate(workspace, workspaceDir, manifests.scripts.get(workspace)) },
        validator: options.validator,
        target: options.target,
        history: options.history,
        clock: options.clock,
        events: options.events,
        retryAfterMs: 60_000,
        logger: options.logger,
      });
      reconcilers.set(workspace, reconciler);
    }
    return reconciler;
  };

  return async (input) => {
    const workspace = deployedWorkspace(input, options.repos);
    const hash = snapshotHash(input.dir);
    const checkoutDir = snapshotCheckout(input.dir, options.checkoutsDir, workspace, hash);
    if (input.showManifest || input.dryRun) return previewDeploy(options, manifests, { workspace, checkoutDir, input });
    return applyDeploy(options, manifests, reconcilerFor(workspace), { workspace, hash, checkoutDir, input });
  };
}

type DeployManifests = ReturnType<typeof createDeployManifests>;

/** Manifests of deploys, the last one kept (a dry run and its script listing generate once). */
function createDeployManifests(options: LocalDeployerOptions) {
  /** Script of the deploy running in a workspace's queue (set inside `exclusive`, so never mixed up). */
  const scripts = new Map<string, string | undefined>();
  const generated = new Map<string, ManifestPortResult>();
  const generateRaw = async (dir: string, script: string | undefined): Promise<ManifestPortResult> => {
    const key = `${dir}\0${script ?? ""}`;
    const cached = generated.get(key);
    if (cached) return cached;
    const g = await generateManifest({ workspaceDir: dir, executor: options.executor, timeoutMs: options.timeoutMs, ...(script ? { script } : {}) });
    const result = { manifest: g.manifest as unknown as ManifestPortResult["manifest"], jobHashes: g.jobHashes, manifestHash: g.manifestHash, warnings: g.warnings, dltVersion: g.dltVersion };
    generated.clear();
    generated.set(key, result);
    return result;
  };
  // an ad-hoc deploy (one script) adds or updates that script's jobs on top of the active ones
  const generate = async (workspace: string, dir: string, script: string | undefined): Promise<ManifestPortResult> => {
    const result = await generateRaw(dir, script);
    const active = options.history.active(workspace);
    if (!script) return result;
    // one hash scheme for every ad-hoc version, the first one too, so an unchanged script is "no change"
    const base = active?.manifest ? (active.manifest as ManifestPortResult["manifest"]) : { ...result.manifest, jobs: [] };
    return mergeAdHoc(base, active?.jobHashes ?? {}, result);
  };
  /** The jobs of the deployed script alone (ad-hoc deploys list them). */
  const scriptJobs = async (checkoutDir: string, script: string | undefined) =>
    script ? { scriptJobs: (await generateRaw(checkoutDir, script)).manifest.jobs.map((j) => j.job_ref) } : {};
  return { scripts, generate, scriptJobs };
}

/** The workspace a local deploy of `input.dir` goes to; refused when the folder is missing or a git repo feeds that workspace. */
function deployedWorkspace(input: DeployDirInput, repos: RepoStore): string {
  const dir = input.dir;
  if (!isAbsolute(dir) || !existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new SluiceError("workspace_dir_missing", `'${dir}' is not a directory on the daemon's machine.`, { hint: "Pass the workspace root (it holds __deployment__.py or the script)." });
  }
  const workspace = input.workspace ?? workspaceNameOf(dir);
  if (repos.feedOf(workspace) || repos.get(workspace)) {
    throw new SluiceError("workspace_from_git", `Workspace '${workspace}' is deployed from a git repo; a local deploy would fight with it.`, {
      hint: "Push to the repo instead, or deploy the directory under another name with --workspace.",
    });
  }
  return workspace;
}

/** `--dry-run` / `--show-manifest`: every check an apply makes, and the diff, without applying. */
async function previewDeploy(
  options: LocalDeployerOptions,
  manifests: DeployManifests,
  { workspace, checkoutDir, input }: { workspace: string; checkoutDir: string; input: DeployDirInput },
): Promise<DeployDirView> {
  const { history } = options;
  const result = await manifests.generate(workspace, checkoutDir, input.script);
  assertValidManifest(workspace, result.manifest, options.validator);
  options.target.check?.(workspace, result.manifest.jobs, result.jobHashes);
  const active = history.active(workspace);
  const previous = active?.manifest ? { jobs: (active.manifest.jobs as JobLike[]) ?? [], jobHashes: active.jobHashes, archivedRefs: history.archivedRefs(workspace) } : null;
  const diff = diffDeployments(previous, { jobs: result.manifest.jobs, jobHashes: result.jobHashes });
  const bump = bumpVersion(active?.versionHash ? { version: active.version ?? 0, versionHash: active.versionHash, previousHashes: active.previousHashes } : null, result.manifestHash);
  const changed = diff.added.length + diff.updated.length + diff.archived.length > 0;
  const manifest = input.showManifest ? { ...result.manifest, jobs: result.manifest.jobs.map((job) => ({ ...job, triggers: expandTriggers(job as never) })) } : undefined;
  const scriptJobs = await manifests.scriptJobs(checkoutDir, input.script);
  return { workspace, dryRun: true, changed, version: bump.version, diff, warnings: result.warnings, ...(manifest ? { manifest } : {}), ...scriptJobs };
}

/** Deploys the snapshot through the workspace's reconciler queue; a failure is recorded as a failed deployment. */
async function applyDeploy(
  options: LocalDeployerOptions,
  manifests: DeployManifests,
  reconciler: WorkspaceReconciler,
  { workspace, hash, checkoutDir, input }: { workspace: string; hash: string; checkoutDir: string; input: DeployDirInput },
): Promise<DeployDirView> {
  const { history } = options;
  const commit: CommitMeta = {
    sha: `${input.script ? AD_HOC_SHA_PREFIX : "local-"}${hash}`,
    treeSha: hash,
    authorName: userInfo().username,
    committedAt: new Date(options.clock.now()).toISOString(),
    subject: input.script ? `ad hoc: ${input.script} from ${input.dir}` : `sluice deploy ${input.dir}`,
  };
  return reconciler.exclusive(async () => {
    manifests.scripts.set(workspace, input.script);
    const startedAt = reconciler.isoNow();
    history.updateState(workspace, { status: "reconciling", message: null, lastAttemptedCommit: commit.sha, lastAttemptedTree: hash });
    options.events.emit("reconcile:started", { workspace, commit: commit.sha });
    try {
      const record = await reconciler.deploy({ kind: "push", commit, checkoutDir, startedAt, rollbackToVersion: null });
      history.updateState(workspace, { status: "ready", message: null });
      options.events.emit("deployment:applied", { workspace, deployment: record });
      const diff = record.diff;
      const changed = diff ? diff.added.length + diff.updated.length + diff.archived.length > 0 : false;
      const scriptJobs = await manifests.scriptJobs(checkoutDir, input.script);
      return { workspace, dryRun: false, changed, version: record.version, diff, warnings: record.warnings, ...scriptJobs };
    } catch (error) {
      const cause = causeOf(error);
      const record = history.recordFailed({
        workspace, status: "failed", kind: "push", version: null, versionHash: null, previousHashes: [], commit, manifest: null, jobHashes: {}, diff: null,
        warnings: [], dltVersion: null, checkoutDir: null, cause, rollbackToVersion: null, startedAt, finishedAt: reconciler.isoNow(),
      });
      history.updateState(workspace, { status: "failed", message: cause.message });
      options.events.emit("deployment:failed", { workspace, deployment: record, status: "failed", retryInMs: null });
      throw error;
    }
  });
}
