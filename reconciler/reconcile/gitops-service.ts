import type { Clock, Logger, TypedEvents } from "../../core/index.js";
import { SluiceError, silentLogger } from "../../core/index.js";
import { diffDeployments } from "../diff/index.js";
import type { BranchHead, BranchSource, Git, RefWatch } from "../git/index.js";
import { BranchWatcher, createHostedRepo, hostedSource, localGitDir, normalizeRepoPath, remoteSource, watchRefs } from "../git/index.js";
import type { DeploymentHistory, DeploymentRecord, RepoEntry, RepoStore, WorkspaceState } from "../history/index.js";
import type { ReconcilerEventMap } from "./events.js";
import { gitWorkspacePort } from "./git-workspace-port.js";
import type { DeploymentTarget, ManifestPort, ManifestValidatorPort } from "./ports.js";
import { WorkspaceReconciler } from "./workspace-reconciler.js";

export interface GitOpsLayout {
  /** Bare repos Sluice hosts (`repo add --push`). */
  reposDir: string;
  /** Bare mirrors of remote repos. */
  mirrorsDir: string;
  /** One fresh directory per deployed commit and workspace. */
  checkoutsDir: string;
}

export interface GitOpsServiceOptions {
  git: Git;
  history: DeploymentHistory;
  repos: RepoStore;
  layout: GitOpsLayout;
  manifests: ManifestPort;
  validator?: ManifestValidatorPort;
  target: DeploymentTarget;
  clock: Clock;
  events: TypedEvents<ReconcilerEventMap>;
  pollIntervalMs: number;
  retryAfterMs: number;
  logger?: Logger;
}

export interface AddRepoInput {
  name: string;
  url?: string;
  /** Create a bare repo Sluice hosts instead of watching a URL. */
  push?: boolean;
  branch?: string;
  path?: string;
}

export interface AddRepoResult {
  repo: RepoEntry;
  /** For hosted repos: the git remote to add (`git remote add sluice <remote>`). */
  remote?: string;
}

export interface RepoStatus {
  repo: RepoEntry;
  state: WorkspaceState | null;
  active: { version: number | null; commit: string; deployedAt: string } | null;
}

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * The GitOps side of the daemon: the repo registry, one branch watcher shared by all
 * workspaces, one reconciler per workspace, rollback and removal.
 */
export class GitOpsService {
  private readonly watcher: BranchWatcher;
  private readonly reconcilers = new Map<string, WorkspaceReconciler>();
  /** Source key → source and the workspaces reading it. */
  private readonly groups = new Map<string, { source: BranchSource; workspaces: Set<string>; refWatch?: RefWatch }>();
  private readonly heads = new Map<string, string>();
  private readonly logger: Logger;

  constructor(private readonly options: GitOpsServiceOptions) {
    this.logger = (options.logger ?? silentLogger).child("gitops");
    this.watcher = new BranchWatcher({
      clock: options.clock,
      intervalMs: options.pollIntervalMs,
      onHead: (head) => this.onHead(head),
      logger: this.logger,
    });
  }

  /** Registers stored repos and starts polling (the first poll reconciles what changed while down). */
  start(): void {
    for (const repo of this.options.repos.list()) this.register(repo);
    this.watcher.start();
  }

  /** Stops polling and waits for running passes, at most `graceMs` (a hung port must not block shutdown). */
  async stop(graceMs = 30_000): Promise<void> {
    this.watcher.stop();
    await Promise.all([...this.groups.values()].map((group) => group.refWatch?.close()));
    for (const r of this.reconcilers.values()) r.close();
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = this.options.clock.setTimer(this.options.clock.now() + graceMs, resolve);
    });
    await Promise.race([this.whenIdle(), timeout]);
    timer?.cancel();
  }

  /** Polls now (all sources): the hook for a push webhook or a filesystem watcher. */
  poke(): Promise<void> {
    return this.watcher.poke();
  }

  /** Resolves when no reconcile is queued or running (tests, graceful shutdown). */
  async whenIdle(): Promise<void> {
    await Promise.all([...this.reconcilers.values()].map((r) => r.whenIdle()));
  }

  async addRepo(input: AddRepoInput): Promise<AddRepoResult> {
    const { repos, git, layout } = this.options;
    if (!NAME_RE.test(input.name)) {
      throw new SluiceError("repo_name_invalid", `Repo name '${input.name}' is not allowed.`, {
        hint: "Use 1–63 characters: lower-case letters, digits, '-' and '_', starting with a letter or digit.",
      });
    }
    if (repos.get(input.name)) {
      throw new SluiceError("repo_exists", `A repo named '${input.name}' is already registered.`, { hint: "Pick another name or `sluice repo remove` it first." });
    }
    if (Boolean(input.push) === Boolean(input.url)) {
      throw new SluiceError("repo_source_invalid", "Give exactly one of --url <git-url> or --push.", {
        hint: "--url watches an existing repository; --push creates one that Sluice hosts.",
      });
    }
    const branch = input.branch ?? "main";
    const path = normalizeRepoPath(input.path);
    let url = input.url ?? "";
    let remote: string | undefined;
    if (input.push) {
      url = await createHostedRepo(git, { reposDir: layout.reposDir, name: input.name, branch });
      remote = url;
    }
    const repo = repos.add({ name: input.name, kind: input.push || this.isHostedPath(url) ? "hosted" : "remote", url, branch, path });
    this.register(repo);
    void this.watcher.poke();
    return remote ? { repo, remote } : { repo };
  }

  listRepos(): RepoStatus[] {
    return this.options.repos.list().map((repo) => this.status(repo));
  }

  repoStatus(name: string): RepoStatus {
    return this.status(this.requireRepo(name));
  }

  /** Stops watching the workspace and archives all its jobs; history and hosted repo stay. */
  async removeRepo(name: string): Promise<{ archived: string[] }> {
    const repo = this.requireRepo(name);
    const reconciler = this.reconcilers.get(name);
    this.unregister(repo);
    const archived = reconciler ? await reconciler.exclusive(() => this.archiveAll(reconciler)) : [];
    reconciler?.close();
    this.options.repos.remove(name);
    this.options.history.updateState(name, {
      status: "idle",
      message: "repo removed",
      lastAttemptedTree: null,
      lastAppliedTree: null,
      holdAtHead: null,
    });
    return { archived };
  }

  deployments(workspace: string, limit = 50): DeploymentRecord[] {
    return this.options.history.list(workspace, { limit });
  }

  /**
   * Re-applies an earlier applied version (default: the last applied one whose content differs
   * from the active one). The result is a new version (dlt's bump rule), and automatic deploys
   * hold until the branch head moves.
   */
  async rollback(workspace: string, toVersion?: number): Promise<DeploymentRecord> {
    const repo = this.requireRepo(workspace);
    const reconciler = this.reconcilers.get(workspace);
    if (!reconciler) throw new SluiceError("repo_not_found", `Repo '${workspace}' is not being watched.`);
    return reconciler.exclusive(async () => {
      const { history, events } = this.options;
      const active = history.active(workspace);
      if (!active?.manifest) {
        throw new SluiceError("nothing_deployed", `Workspace '${workspace}' has no active deployment to roll back.`, {
          hint: "Push a commit first; `sluice deployments <workspace>` shows the history.",
        });
      }
      const target = toVersion === undefined ? this.previousDistinct(workspace, active) : history.findAppliedVersion(workspace, toVersion);
      if (!target?.manifest) {
        const versions = [...new Set(history.list(workspace, { status: "applied" }).map((d) => d.version))].join(", ");
        throw new SluiceError("version_not_found", `Workspace '${workspace}' has no applied version ${toVersion ?? "before the active one"}.`, {
          hint: versions ? `Applied versions: ${versions}.` : "Nothing was applied yet.",
        });
      }
      const source = this.groups.get(this.sourceFor(repo).key)?.source ?? this.sourceFor(repo);
      const port = gitWorkspacePort({ git: this.options.git, source, path: repo.path, workspace, checkoutsDir: this.options.layout.checkoutsDir });
      const checkoutDir = await port.checkout(target.commit.sha);
      const record = await reconciler.deploy({
        kind: "rollback",
        commit: target.commit,
        checkoutDir,
        startedAt: reconciler.isoNow(),
        rollbackToVersion: target.version,
        stored: target,
      });
      const head = this.heads.get(source.key) ?? history.getState(workspace)?.lastAttemptedCommit ?? null;
      history.updateState(workspace, { status: "ready", message: `rolled back to version ${target.version}`, holdAtHead: head });
      events.emit("deployment:applied", { workspace, deployment: record });
      return record;
    });
  }

  private previousDistinct(workspace: string, active: DeploymentRecord): DeploymentRecord | undefined {
    return this.options.history
      .list(workspace, { status: "applied", limit: 1000 })
      .find((d) => d.id < active.id && d.manifest && d.versionHash !== active.versionHash);
  }

  private async archiveAll(reconciler: WorkspaceReconciler): Promise<string[]> {
    const { history, target } = this.options;
    const deployed = reconciler.deployedState();
    if (!deployed.record || deployed.jobs.length === 0) return [];
    const diff = diffDeployments(deployed, { jobs: [], jobHashes: {} });
    const manifest = { jobs: [] };
    await target.apply({
      workspace: reconciler.workspace,
      kind: "remove",
      version: deployed.record.version,
      versionHash: deployed.record.versionHash,
      commit: deployed.record.commit,
      checkoutDir: "",
      manifest,
      jobHashes: {},
      diff,
    });
    const now = reconciler.isoNow();
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

  private onHead(head: BranchHead): void {
    this.heads.set(head.source.key, head.sha);
    for (const workspace of this.groups.get(head.source.key)?.workspaces ?? []) {
      this.reconcilers.get(workspace)?.request(head.sha);
    }
  }

  private register(repo: RepoEntry): void {
    const fresh = this.sourceFor(repo);
    let group = this.groups.get(fresh.key);
    if (!group) {
      group = { source: fresh, workspaces: new Set(), refWatch: this.watchLocalRefs(repo) };
      this.groups.set(fresh.key, group);
      this.watcher.add(fresh);
    }
    group.workspaces.add(repo.name);
    const port = gitWorkspacePort({ git: this.options.git, source: group.source, path: repo.path, workspace: repo.name, checkoutsDir: this.options.layout.checkoutsDir });
    const reconciler = new WorkspaceReconciler({
      workspace: repo.name,
      git: port,
      manifests: this.options.manifests,
      validator: this.options.validator,
      target: this.options.target,
      history: this.options.history,
      clock: this.options.clock,
      events: this.options.events,
      retryAfterMs: this.options.retryAfterMs,
      logger: this.logger,
    });
    this.reconcilers.set(repo.name, reconciler);
    const head = this.heads.get(fresh.key);
    if (head) reconciler.request(head);
  }

  private unregister(repo: RepoEntry): void {
    const key = this.sourceFor(repo).key;
    const group = this.groups.get(key);
    group?.workspaces.delete(repo.name);
    if (group && group.workspaces.size === 0) {
      void group.refWatch?.close();
      this.groups.delete(key);
      this.watcher.remove(key);
      this.heads.delete(key);
    }
    this.reconcilers.delete(repo.name);
  }

  private sourceFor(repo: RepoEntry): BranchSource {
    const { git, layout } = this.options;
    return repo.kind === "hosted" ? hostedSource(git, repo.url, repo.branch) : remoteSource(git, { url: repo.url, branch: repo.branch, mirrorsDir: layout.mirrorsDir });
  }

  /** Hosted bare repos and local working repos: a ref change polls at once (the poll stays the truth). */
  private watchLocalRefs(repo: RepoEntry): RefWatch | undefined {
    const gitDir = localGitDir(repo.url);
    if (!gitDir) return undefined;
    return watchRefs(gitDir, () => void this.watcher.poke());
  }

  private isHostedPath(url: string): boolean {
    return url.startsWith(`${this.options.layout.reposDir}/`);
  }

  private requireRepo(name: string): RepoEntry {
    const repo = this.options.repos.get(name);
    if (!repo) {
      throw new SluiceError("repo_not_found", `No repo named '${name}'.`, { hint: "`sluice repo list` shows the registered repos." });
    }
    return repo;
  }

  private status(repo: RepoEntry): RepoStatus {
    const state = this.options.history.getState(repo.name) ?? null;
    const active = this.options.history.active(repo.name);
    return {
      repo,
      state,
      active: active ? { version: active.version, commit: active.commit.sha, deployedAt: active.finishedAt } : null,
    };
  }
}
