import type { Clock, Logger, TypedEvents } from "../../core/index.js";
import { SluiceError, silentLogger } from "../../core/index.js";
import type { BranchHead, BranchSource, Git, RefWatch } from "../git/index.js";
import {
  BranchWatcher,
  createHostedRepo,
  discoverWorkspaceFolders,
  hostedSource,
  localGitDir,
  normalizeRepoPath,
  remoteSource,
  watchRefs,
} from "../git/index.js";
import type { DeploymentHistory, DeploymentRecord, RepoEntry, RepoStore, RepoWorkspace } from "../history/index.js";
import type { ReconcilerEventMap } from "./events.js";
import { gitWorkspacePort } from "./git-workspace-port.js";
import type { DeploymentTarget, ManifestPort, ManifestValidatorPort } from "./ports.js";
import { RepoScanner } from "./repo-scanner.js";
import type { RepoStatus } from "./repo-status.js";
import { repoStatusOf } from "./repo-status.js";
import { WORKSPACE_NAME_RE, planRepoWorkspaces } from "./workspace-discovery.js";
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
  /** Pins the repo to this one workspace folder; without it every workspace folder is discovered. */
  path?: string;
  /** `owner/repo` on GitHub to report to (stored by the daemon's GitHub binding, not here). */
  github?: string;
}

export interface AddRepoResult {
  repo: RepoEntry;
  /** For hosted repos: the git remote to add (`git remote add sluice <remote>`). */
  remote?: string;
}

export interface RemoveRepoResult {
  /** Job refs archived, over all the repo's workspaces. */
  archived: string[];
  workspaces: string[];
}

/**
 * The GitOps side of the daemon: the repo registry, one branch watcher shared by all repos,
 * workspace discovery per repo (docs/workspaces.md), one reconciler per workspace, rollback and
 * removal.
 */
export class GitOpsService {
  private readonly watcher: BranchWatcher;
  /** Workspace name → its reconciler. */
  private readonly reconcilers = new Map<string, WorkspaceReconciler>();
  /** Repo name → discovery of a repo without --path. */
  private readonly scanners = new Map<string, RepoScanner>();
  /** Source key → source and the repos reading it. */
  private readonly groups = new Map<string, { source: BranchSource; repos: Set<string>; refWatch?: RefWatch }>();
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
    for (const s of this.scanners.values()) s.close();
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

  /** Resolves when no discovery or reconcile is queued or running (tests, graceful shutdown). */
  async whenIdle(): Promise<void> {
    await Promise.all([...this.scanners.values()].map((s) => s.whenIdle()));
    await Promise.all([...this.reconcilers.values()].map((r) => r.whenIdle()));
  }

  async addRepo(input: AddRepoInput): Promise<AddRepoResult> {
    const { repos, git, layout } = this.options;
    this.checkNewRepo(input);
    const branch = input.branch ?? "main";
    const discover = input.path === undefined;
    const path = normalizeRepoPath(input.path);
    let url = input.url ?? "";
    let remote: string | undefined;
    if (input.push) {
      url = await createHostedRepo(git, { reposDir: layout.reposDir, name: input.name, branch });
      remote = url;
    }
    const repo = repos.add({ name: input.name, kind: input.push || this.isHostedPath(url) ? "hosted" : "remote", url, branch, path, discover });
    this.logger.info("repo added", { repo: repo.name, url, branch, ...(discover ? { discover: true } : { path }) });
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

  /**
   * Stops watching the repo and removes every workspace it feeds: their jobs are archived, their
   * reconcile state is dropped (so `info` no longer lists them) and `workspace:removed` stops their
   * interactive services. Deployment history and a hosted bare repo stay.
   */
  async removeRepo(name: string): Promise<RemoveRepoResult> {
    const repo = this.requireRepo(name);
    const scanner = this.scanners.get(name);
    scanner?.close();
    await scanner?.whenIdle();
    this.scanners.delete(name);
    this.unregister(repo);
    const workspaces = this.options.repos.workspaces(name).map((w) => w.workspace);
    const archived: string[] = [];
    for (const workspace of workspaces) archived.push(...(await this.removeWorkspace(workspace, name, "repo removed")));
    this.options.repos.remove(name);
    this.logger.info("repo removed", { repo: name, workspaces, archived: archived.length });
    return { archived, workspaces };
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
    const { repo, entry } = this.requireWorkspace(workspace);
    const reconciler = this.reconcilers.get(workspace);
    if (!reconciler) throw new SluiceError("repo_not_found", `Workspace '${workspace}' is not being watched.`);
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
      const source = this.sourceOf(repo);
      const port = gitWorkspacePort({ git: this.options.git, source, path: entry.path, workspace, checkoutsDir: this.options.layout.checkoutsDir });
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

  private checkNewRepo(input: AddRepoInput): void {
    const { repos } = this.options;
    if (!WORKSPACE_NAME_RE.test(input.name)) {
      throw new SluiceError("repo_name_invalid", `Repo name '${input.name}' is not allowed.`, {
        hint: "Use 1–63 characters: lower-case letters, digits, '-' and '_', starting with a letter or digit.",
      });
    }
    if (repos.get(input.name)) {
      throw new SluiceError("repo_exists", `A repo named '${input.name}' is already registered.`, { hint: "Pick another name or `sluice repo remove` it first." });
    }
    const owner = repos.workspace(input.name);
    if (owner) {
      throw new SluiceError("repo_exists", `The name '${input.name}' is already a workspace of repo '${owner.repo}' (folder '${owner.path || "/"}').`, {
        hint: "Workspace names are global; pick another repo name.",
      });
    }
    if (Boolean(input.push) === Boolean(input.url)) {
      throw new SluiceError("repo_source_invalid", "Give exactly one of --url <git-url> or --push.", {
        hint: "--url watches an existing repository; --push creates one that Sluice hosts.",
      });
    }
  }

  private previousDistinct(workspace: string, active: DeploymentRecord): DeploymentRecord | undefined {
    return this.options.history
      .list(workspace, { status: "applied", limit: 1000 })
      .find((d) => d.id < active.id && d.manifest && d.versionHash !== active.versionHash);
  }

  /** Archives the workspace's jobs, forgets its reconcile state and tells listeners (interactive services stop). */
  private async removeWorkspace(workspace: string, repo: string, reason: string): Promise<string[]> {
    const reconciler = this.reconcilers.get(workspace);
    this.reconcilers.delete(workspace);
    reconciler?.close();
    const archived = reconciler ? await reconciler.exclusive(() => reconciler.archiveAll()) : [];
    this.options.history.dropState(workspace);
    this.options.repos.removeWorkspace(workspace);
    this.logger.info("workspace removed", { repo, workspace, reason, archived: archived.length });
    this.options.events.emit("workspace:removed", { workspace, repo, reason, archived });
    return archived;
  }

  private onHead(head: BranchHead): void {
    this.heads.set(head.source.key, head.sha);
    for (const name of this.groups.get(head.source.key)?.repos ?? []) this.requestRepo(name, head.sha);
  }

  private requestRepo(name: string, sha: string): void {
    const scanner = this.scanners.get(name);
    if (scanner) scanner.request(sha);
    else this.reconcilers.get(name)?.request(sha);
  }

  /** Discovers the workspaces of `sha`, applies the additions, moves and removals, then reconciles each. */
  private async scan(repo: RepoEntry, sha: string): Promise<void> {
    const { repos, git, events } = this.options;
    const folders = await discoverWorkspaceFolders(git, this.sourceOf(repo).gitDir, sha);
    const plan = planRepoWorkspaces({ repo: repo.name, folders, current: repos.workspaces(repo.name), ownerOf: (name) => this.ownerOf(name, repo.name) });
    for (const workspace of plan.removed) await this.removeWorkspace(workspace, repo.name, `folder gone in commit ${sha.slice(0, 12)}`);
    for (const moved of plan.moved) {
      this.reconcilers.get(moved.workspace)?.close();
      repos.removeWorkspace(moved.workspace);
    }
    for (const w of [...plan.added, ...plan.moved]) this.registerWorkspace(repo, repos.addWorkspace({ workspace: w.workspace, repo: repo.name, path: w.path }));
    repos.recordScan({ repo: repo.name, commit: sha, skipped: plan.skipped });
    const workspaces = plan.workspaces.map((w) => w.workspace);
    this.logger.info("workspaces discovered", { repo: repo.name, commit: sha, workspaces, skipped: plan.skipped.length });
    for (const skip of plan.skipped) this.logger.info("folder skipped", { repo: repo.name, commit: sha, folder: skip.path || "/", reason: skip.reason });
    events.emit("repo:scanned", { repo: repo.name, commit: sha, workspaces, skipped: plan.skipped });
    for (const workspace of workspaces) this.reconcilers.get(workspace)?.request(sha);
  }

  /** Who holds a workspace name, other than `repo` (null when free). */
  private ownerOf(name: string, repo: string): string | null {
    const fed = this.options.repos.workspace(name);
    if (fed) return fed.repo === repo ? null : `repo '${fed.repo}' (folder '${fed.path || "/"}')`;
    if (this.options.history.active(name)) return "a workspace deployed with `sluice deploy`";
    return null;
  }

  private register(repo: RepoEntry): void {
    const fresh = this.sourceFor(repo);
    let group = this.groups.get(fresh.key);
    if (!group) {
      group = { source: fresh, repos: new Set(), refWatch: this.watchLocalRefs(repo) };
      this.groups.set(fresh.key, group);
      this.watcher.add(fresh);
    }
    group.repos.add(repo.name);
    for (const workspace of this.options.repos.workspaces(repo.name)) this.registerWorkspace(repo, workspace);
    if (repo.discover) {
      const scan = (sha: string) => this.scan(repo, sha);
      this.scanners.set(repo.name, new RepoScanner({ repo: repo.name, scan, clock: this.options.clock, retryAfterMs: this.options.retryAfterMs, logger: this.logger }));
    }
    const head = this.heads.get(fresh.key);
    if (head) this.requestRepo(repo.name, head);
  }

  private registerWorkspace(repo: RepoEntry, entry: RepoWorkspace): WorkspaceReconciler {
    const source = this.sourceOf(repo);
    const port = gitWorkspacePort({ git: this.options.git, source, path: entry.path, workspace: entry.workspace, checkoutsDir: this.options.layout.checkoutsDir });
    const reconciler = new WorkspaceReconciler({
      workspace: entry.workspace,
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
    this.reconcilers.set(entry.workspace, reconciler);
    return reconciler;
  }

  private unregister(repo: RepoEntry): void {
    const key = this.sourceFor(repo).key;
    const group = this.groups.get(key);
    group?.repos.delete(repo.name);
    if (group && group.repos.size === 0) {
      void group.refWatch?.close();
      this.groups.delete(key);
      this.watcher.remove(key);
      this.heads.delete(key);
    }
  }

  /** The shared source of a registered repo (falls back to a fresh one). */
  private sourceOf(repo: RepoEntry): BranchSource {
    const fresh = this.sourceFor(repo);
    return this.groups.get(fresh.key)?.source ?? fresh;
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

  private requireWorkspace(workspace: string): { repo: RepoEntry; entry: RepoWorkspace } {
    const entry = this.options.repos.workspace(workspace);
    const repo = entry ? this.options.repos.get(entry.repo) : undefined;
    if (!entry || !repo) {
      throw new SluiceError("repo_not_found", `No repo feeds a workspace named '${workspace}'.`, {
        hint: "`sluice repo list --output json` shows every repo's workspaces.",
      });
    }
    return { repo, entry };
  }

  private status(repo: RepoEntry): RepoStatus {
    const failure = this.watcher.failure(this.sourceFor(repo).key);
    return repoStatusOf(this.options.repos, this.options.history, repo, {
      scanError: this.scanners.get(repo.name)?.error ?? null,
      sourceError: failure ? { message: failure.error, since: new Date(failure.sinceMs).toISOString(), attempts: failure.attempts } : null,
    });
  }
}
