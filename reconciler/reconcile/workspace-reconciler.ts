import type { Clock, Logger, TimerHandle, TypedEvents } from "../../core/index.js";
import { SluiceError, silentLogger } from "../../core/index.js";
import type { DeploymentDiff, JobLike } from "../diff/index.js";
import { bumpVersion, diffDeployments } from "../diff/index.js";
import type { CommitMeta, DeploymentHistory, DeploymentRecord, NewDeployment, WorkspaceStatus } from "../history/index.js";
import { causeOf, classifyError, recordedCause } from "./errors.js";
import type { ReconcilerEventMap } from "./events.js";
import type { DeploymentTarget, ManifestPort, ManifestPortResult, ManifestValidatorPort, WorkspaceGitPort } from "./ports.js";
import { crashPoint } from "../../core/crash-point.js";

export interface WorkspaceReconcilerOptions {
  workspace: string;
  git: WorkspaceGitPort;
  manifests: ManifestPort;
  validator?: ManifestValidatorPort;
  target: DeploymentTarget;
  history: DeploymentHistory;
  clock: Clock;
  events: TypedEvents<ReconcilerEventMap>;
  /** Delay before retrying a commit that failed for a transient reason. */
  retryAfterMs: number;
  logger?: Logger;
}

export interface DeployedState {
  jobs: JobLike[];
  jobHashes: Record<string, string>;
  archivedRefs: string[];
  record: DeploymentRecord | undefined;
}

/**
 * Reconciles one workspace towards the newest commit of its branch. Level-triggered: each pass
 * compares the commit's whole manifest with the deployed one. Passes never overlap; commits that
 * arrive during a pass coalesce, and only the newest is reconciled next.
 */
export class WorkspaceReconciler {
  private desired: string | undefined;
  private drainScheduled = false;
  private queue: Promise<void> = Promise.resolve();
  private retryTimer: TimerHandle | undefined;
  /** Consecutive transient failures (git unreachable, apply failed): the retry delay doubles with each. */
  private transientFailures = 0;
  private closed = false;
  private readonly logger: Logger;

  constructor(private readonly options: WorkspaceReconcilerOptions) {
    this.logger = (options.logger ?? silentLogger).child("reconcile").child(options.workspace);
  }

  get workspace(): string {
    return this.options.workspace;
  }

  /** Asks for `sha` to be deployed. Cheap and synchronous; the work happens in the queue. */
  request(sha: string): void {
    if (this.closed) return;
    this.desired = sha;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    this.enqueue(async () => {
      this.drainScheduled = false;
      const sha = this.desired;
      if (sha) await this.pass(sha);
    });
  }

  /** Resolves when every queued pass and operation has finished. */
  async whenIdle(): Promise<void> {
    for (;;) {
      const current = this.queue;
      await current;
      if (current === this.queue) return;
    }
  }

  /** Runs `op` in the workspace's queue, after any pass in progress, and returns its result. */
  exclusive<T>(op: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue(async () => {
        try {
          resolve(await op());
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  close(): void {
    this.closed = true;
    this.retryTimer?.cancel();
  }

  /** The deployed jobs the next diff is computed against. */
  deployedState(): DeployedState {
    const { history, workspace } = this.options;
    const record = history.active(workspace);
    return {
      jobs: (record?.manifest?.jobs as JobLike[] | undefined) ?? [],
      jobHashes: record?.jobHashes ?? {},
      archivedRefs: history.archivedRefs(workspace),
      record,
    };
  }

  private enqueue(op: () => Promise<void>): void {
    this.queue = this.queue.then(op).catch((error: unknown) => {
      this.logger.error("reconcile queue operation failed", { error: causeOf(error).message });
    });
  }

  private async pass(sha: string): Promise<void> {
    const { history, workspace, git, events } = this.options;
    const state = history.getState(workspace);
    if (state?.holdAtHead === sha) {
      events.emit("reconcile:skipped", { workspace, commit: sha, reason: "held by rollback until the next push" });
      return;
    }
    // a git error is no answer about the folder: only a tree git could read decides absence
    let gitError: unknown = null;
    const tree = await git.treeOf(sha).catch((error: unknown) => {
      gitError = error;
      return null;
    });
    if (tree && tree === state?.lastAppliedTree) {
      if (state.status !== "ready") history.updateState(workspace, { status: "ready", message: null, lastAttemptedCommit: sha, lastAttemptedTree: tree });
      events.emit("reconcile:skipped", { workspace, commit: sha, reason: "workspace files unchanged" });
      return;
    }
    if (tree && tree === state?.lastAttemptedTree && state.status === "stalled") {
      events.emit("reconcile:skipped", { workspace, commit: sha, reason: "same files already failed; waiting for a new push" });
      return;
    }

    // lastAttempted is written before any work, lastApplied only by a successful apply.
    history.updateState(workspace, { status: "reconciling", message: null, lastAttemptedCommit: sha, lastAttemptedTree: tree });
    events.emit("reconcile:started", { workspace, commit: sha });
    const startedAt = this.isoNow();
    let finalStatus: WorkspaceStatus = "failed";
    let message: string | null = null;
    let commit: CommitMeta = { sha, ...(tree ? { treeSha: tree } : {}) };
    try {
      if (gitError !== null) {
        throw new SluiceError("git_failed", `Reading commit ${sha.slice(0, 12)} of '${workspace}' failed: ${causeOf(gitError).message}`, {
          hint: "Sluice retries with backoff; check that the repo is reachable.",
          cause: gitError,
        });
      }
      if (!tree) {
        throw new SluiceError("workspace_path_missing", `The workspace folder of '${workspace}' does not exist in commit ${sha.slice(0, 12)}.`, {
          hint: "Check the repo's --path, or push a commit that contains the folder.",
        });
      }
      commit = { ...(await git.commitMeta(sha)), treeSha: tree };
      const checkoutDir = await git.checkout(sha);
      const record = await this.deploy({ kind: "push", commit, checkoutDir, startedAt, rollbackToVersion: null });
      finalStatus = "ready";
      this.transientFailures = 0;
      if (state?.holdAtHead) history.updateState(workspace, { holdAtHead: null });
      events.emit("deployment:applied", { workspace, deployment: record });
    } catch (error) {
      const cls = classifyError(error);
      finalStatus = cls === "terminal" ? "stalled" : "failed";
      const cause = recordedCause(error);
      message = cause.message;
      const record = history.recordFailed(this.failure(commit, startedAt, cause));
      const retryInMs = cls === "transient" ? this.backoffMs() : null;
      if (retryInMs !== null) this.scheduleRetry(sha, retryInMs);
      this.logger.warn("reconcile failed", { commit: sha, code: cause.code, error: cause.message, retryInMs });
      events.emit("deployment:failed", { workspace, deployment: record, status: finalStatus, retryInMs });
    } finally {
      history.updateState(workspace, { status: finalStatus, message });
    }
  }

  /** Generates, validates, diffs and applies one checkout; records it when the target accepted it. */
  async deploy(input: {
    kind: "push" | "rollback";
    commit: CommitMeta;
    checkoutDir: string;
    startedAt: string;
    rollbackToVersion: number | null;
    /** Rollbacks reuse the stored manifest instead of generating again. */
    stored?: DeploymentRecord;
  }): Promise<DeploymentRecord> {
    const { workspace, manifests, validator, target, history } = this.options;
    crashPoint("manifest-generation");
    const generated = input.stored
      ? storedAsGenerated(input.stored)
      : await manifests.generate({ workspace, workspaceDir: input.checkoutDir, commit: input.commit.sha });
    assertValidManifest(workspace, generated.manifest, validator);
    const deployed = this.deployedState();
    const previousVersion = deployed.record?.versionHash
      ? { version: deployed.record.version ?? 0, versionHash: deployed.record.versionHash, previousHashes: deployed.record.previousHashes }
      : null;
    const bump = bumpVersion(previousVersion, generated.manifestHash);
    const diff: DeploymentDiff = diffDeployments(deployed.record ? deployed : null, { jobs: generated.manifest.jobs, jobHashes: generated.jobHashes });
    const manifest = {
      ...generated.manifest,
      version: bump.version,
      version_hash: bump.versionHash,
      ...(bump.previousHashes?.length ? { previous_hashes: bump.previousHashes } : {}),
    };
    crashPoint("diff-before-apply");
    try {
      await target.apply({
        workspace,
        kind: input.kind,
        version: bump.version,
        versionHash: bump.versionHash,
        commit: input.commit,
        checkoutDir: input.checkoutDir,
        manifest,
        jobHashes: generated.jobHashes,
        diff,
      });
    } catch (error) {
      throw new SluiceError("apply_failed", `Applying version ${bump.version} of '${workspace}' failed: ${causeOf(error).message}`, {
        hint: "The previous deployment is still active; the daemon retries.",
        cause: error,
      });
    }
    const newDeployment: NewDeployment = {
      workspace,
      status: "applied",
      kind: input.kind,
      version: bump.version,
      versionHash: bump.versionHash,
      previousHashes: bump.previousHashes ?? [],
      commit: input.commit,
      manifest,
      jobHashes: generated.jobHashes,
      diff,
      warnings: generated.warnings,
      dltVersion: generated.dltVersion,
      checkoutDir: input.checkoutDir,
      cause: null,
      rollbackToVersion: input.rollbackToVersion,
      startedAt: input.startedAt,
      finishedAt: this.isoNow(),
    };
    return history.recordApplied(newDeployment);
  }

  /** Archives every active job through the target (a `remove` deployment); returns the archived refs. Run it in `exclusive`. */
  async archiveAll(): Promise<string[]> {
    const { history, target } = this.options;
    const deployed = this.deployedState();
    if (!deployed.record || deployed.jobs.length === 0) return [];
    const diff = diffDeployments(deployed, { jobs: [], jobHashes: {} });
    const manifest = { jobs: [] };
    await target.apply({
      workspace: this.options.workspace,
      kind: "remove",
      version: deployed.record.version,
      versionHash: deployed.record.versionHash,
      commit: deployed.record.commit,
      checkoutDir: "",
      manifest,
      jobHashes: {},
      diff,
    });
    const now = this.isoNow();
    history.recordApplied({
      ...deployed.record,
      status: "applied",
      kind: "remove",
      manifest,
      jobHashes: {},
      diff,
      warnings: [],
      checkoutDir: null,
      cause: null,
      rollbackToVersion: null,
      startedAt: now,
      finishedAt: now,
    });
    return diff.archived.map((c) => c.jobRef);
  }

  private failure(commit: CommitMeta, startedAt: string, cause: { code: string; message: string }): NewDeployment {
    return {
      workspace: this.options.workspace,
      status: "failed",
      kind: "push",
      version: null,
      versionHash: null,
      previousHashes: [],
      commit,
      manifest: null,
      jobHashes: {},
      diff: null,
      warnings: [],
      dltVersion: null,
      checkoutDir: null,
      cause,
      rollbackToVersion: null,
      startedAt,
      finishedAt: this.isoNow(),
    };
  }

  /** retryAfterMs, doubled per consecutive transient failure, at most 16 times it. */
  private backoffMs(): number {
    this.transientFailures = Math.min(this.transientFailures + 1, 5);
    return this.options.retryAfterMs * 2 ** (this.transientFailures - 1);
  }

  private scheduleRetry(sha: string, delayMs: number): void {
    this.retryTimer?.cancel();
    this.retryTimer = this.options.clock.setTimer(this.options.clock.now() + delayMs, () => {
      if (this.desired === sha) this.request(sha);
    });
  }

  isoNow(): string {
    return new Date(this.options.clock.now()).toISOString();
  }
}

function storedAsGenerated(record: DeploymentRecord) {
  const { version: _v, version_hash: _h, previous_hashes: _p, ...manifest } = (record.manifest ?? { jobs: [] }) as Record<string, unknown>;
  return {
    manifest: { ...manifest, jobs: (manifest.jobs as JobLike[] | undefined) ?? [] },
    jobHashes: record.jobHashes,
    manifestHash: record.versionHash ?? "",
    warnings: record.warnings,
    dltVersion: record.dltVersion,
  };
}

/** The validator's verdict as the error a deploy (or a dry run) fails with. */
export function assertValidManifest(workspace: string, manifest: ManifestPortResult["manifest"], validator: ManifestValidatorPort | undefined): void {
  const issues = validator?.validate(manifest) ?? [];
  if (issues.length > 0) {
    throw new SluiceError("manifest_invalid", `The manifest of '${workspace}' is invalid:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}`, {
      hint: "Fix the job definitions in the workspace and push again.",
      details: { issues },
    });
  }
}
