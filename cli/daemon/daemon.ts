/**
 * The daemon's composition root: home, config, token, SQLite, the GitOps service and the API,
 * wired in one place. The scheduler and the manifest generator come in through ports.
 */
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Clock, Database, Logger } from "../../core/index.js";
import { SystemClock, TypedEvents, createLogger, openDatabase } from "../../core/index.js";
import { createGitCli, type Git } from "../../reconciler/git/index.js";
import type { GitHubService } from "../../reconciler/github/index.js";
import { GitHubStore, startGitHubService } from "../../reconciler/github/index.js";
import { DeploymentHistory, RepoStore } from "../../reconciler/history/index.js";
import type { DeploymentTarget, ManifestPort, ManifestValidatorPort, ReconcilerEventMap } from "../../reconciler/reconcile/index.js";
import { GitOpsService, InMemoryDeploymentTarget, dltManifestPort, schemaManifestValidator } from "../../reconciler/reconcile/index.js";
import { createWarmManifestExecutor, type WarmManifestExecutor } from "../../reconciler/manifest/index.js";
import type { ApiServer } from "./api-server.js";
import { startApiServer } from "./api-server.js";
import type { DaemonOptions } from "./config.js";
import { loadDaemonConfig } from "./config.js";
import { EventHub, forwardReconcilerEvents } from "./event-hub.js";
import { reportFailedRuns, withGitHubBindings } from "./github-wiring.js";
import type { HomeLayout } from "./home.js";
import type { RuntimeServices } from "./runtime-types.js";
import { homeInstance, prepareHome } from "./home.js";
import { ensureToken } from "./token.js";

/** What the composition root hands to the factory of the runtime (scheduler, executors, proxy). */
export interface RuntimeContext {
  layout: HomeLayout;
  options: DaemonOptions;
  db: Database;
  clock: Clock;
  logger: Logger;
  hub: EventHub;
  events: TypedEvents<ReconcilerEventMap>;
  history: DeploymentHistory;
  repos: RepoStore;
  manifests: ManifestPort;
  validator: ManifestValidatorPort | undefined;
}

/** The scheduler side of the daemon, built by `cli/compose` (kept out of this file so tests can run without it). */
export interface DaemonRuntime {
  target: DeploymentTarget;
  services: RuntimeServices;
  /** Called before the first reconcile: loads state, adopts runs, opens the proxy. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** For `info`: the proxy's base URL, if any. */
  proxyUrl?: () => string | null;
}

export type RuntimeFactory = (context: RuntimeContext) => Promise<DaemonRuntime>;

export interface StartDaemonInput {
  home: string;
  /** Explicit --config path (must exist); default `<home>/sluice.yaml` when present. */
  configFile?: string;
  /** Overrides of the compiled config (tests: port 0, short poll interval). */
  overrides?: Partial<DaemonOptions>;
  ports?: { manifests?: ManifestPort; target?: DeploymentTarget; validator?: ManifestValidatorPort | null };
  /** Scheduler, executors and proxy; without it deployments are kept in memory only. */
  runtime?: RuntimeFactory;
  clock?: Clock;
  logger?: Logger;
}

export interface RunningDaemon {
  layout: HomeLayout;
  options: DaemonOptions;
  url: string;
  token: string;
  gitops: GitOpsService;
  hub: EventHub;
  db: Database;
  runtime: DaemonRuntime | undefined;
  /** GitHub reporting, when sluice.yaml has a `github:` section. */
  github: GitHubService | undefined;
  /** The API's routes (method and path). */
  routes: ApiServer["routes"];
  stop(): Promise<void>;
}

/** Written at start so `sluice` client commands find the API without flags. */
export const DAEMON_INFO_FILE = "daemon.json";

export async function startDaemon(input: StartDaemonInput): Promise<RunningDaemon> {
  const base = await openDaemonBase(input);
  const { layout, options, logger, db, unforward } = base;
  const warm = warmManifestExecutor(input, options, layout);
  const manifests = input.ports?.manifests ?? dltManifestPort({ executor: warm ?? options.manifestExecutor, timeoutMs: options.generateTimeoutMs });
  let runtime: DaemonRuntime | undefined;
  try {
    runtime = await input.runtime?.({ ...base, manifests });
  } catch (error) {
    await warm?.close().catch(() => undefined);
    unforward();
    db.close();
    throw error;
  }
  let target = input.ports?.target ?? runtime?.target;
  if (!target) {
    logger.warn("no scheduler wired: deployments are kept in memory only");
    target = new InMemoryDeploymentTarget();
  }
  const git = createGitCli();
  const gitops = gitOpsOf(base, { git, manifests, target });
  let front: DaemonFront;
  try {
    front = await startFront(base, { runtime, gitops, preview: { git, manifests, target } });
  } catch (error) {
    await warm?.close().catch(() => undefined);
    throw error;
  }
  gitops.start();
  const infoFile = join(layout.home, DAEMON_INFO_FILE);
  await writeFile(infoFile, `${JSON.stringify({ url: front.api.url, pid: process.pid }, null, 2)}\n`, { mode: 0o600 });

  return {
    layout,
    options,
    url: front.api.url,
    routes: front.api.routes,
    token: base.token,
    gitops,
    hub: base.hub,
    db,
    runtime,
    github: front.github,
    async stop() {
      await front.api.close();
      front.unreport();
      await front.github?.stop();
      await gitops.stop();
      await runtime?.stop();
      await warm?.close();
      unforward();
      db.close();
      await rm(infoFile, { force: true });
    },
  };
}

/** Polling, deploying and history of the repos, on the daemon's stores. */
function gitOpsOf(base: DaemonBase, parts: { git: Git; manifests: ManifestPort; target: DeploymentTarget }): GitOpsService {
  const { layout, options } = base;
  return new GitOpsService({
    ...parts,
    history: base.history,
    repos: base.repos,
    layout: { reposDir: layout.reposDir, mirrorsDir: layout.mirrorsDir, checkoutsDir: layout.checkoutsDir },
    validator: base.validator,
    clock: base.clock,
    events: base.events,
    pollIntervalMs: options.pollIntervalMs,
    retryAfterMs: options.retryAfterMs,
    logger: base.logger,
  });
}

/** Home, config, logger, token, SQLite, stores and the event plumbing: what every part of the daemon shares. */
interface DaemonBase extends Omit<RuntimeContext, "manifests"> {
  token: string;
  /** Stops forwarding reconciler events to the hub. */
  unforward: () => void;
}

async function openDaemonBase(input: StartDaemonInput): Promise<DaemonBase> {
  const layout = await prepareHome(input.home);
  const loaded = await loadDaemonConfig(input.configFile ?? layout.configFile, { required: input.configFile !== undefined });
  const options: DaemonOptions = { ...loaded, ...input.overrides };
  const logger = input.logger ?? createLogger("sluice", { minLevel: options.logLevel });
  const clock = input.clock ?? new SystemClock();
  const { token, created, tightened } = await ensureToken(layout.tokenFile);
  if (created) logger.info("api token created", { file: layout.tokenFile });
  if (tightened) logger.warn("api token file was readable by others; mode set to 0600", { file: layout.tokenFile });
  const db = openDatabase(layout.dbFile);
  const events = new TypedEvents<ReconcilerEventMap>((event, error) => logger.error("event listener failed", { event, error: String(error) }));
  const hub = new EventHub();
  return {
    layout,
    options,
    logger,
    clock,
    token,
    db,
    events,
    hub,
    unforward: forwardReconcilerEvents(events, hub),
    validator: input.ports?.validator === null ? undefined : (input.ports?.validator ?? schemaManifestValidator()),
    history: new DeploymentHistory(db, () => clock.now()),
    repos: new RepoStore(db, () => clock.now()),
  };
}

/** `manifest.warm`: one warm worker per environment (Docker image, or host venv) generates pushed commits. */
function warmManifestExecutor(input: StartDaemonInput, options: DaemonOptions, layout: HomeLayout): WarmManifestExecutor | undefined {
  if (input.ports?.manifests || !options.manifestWarm) return undefined;
  return createWarmManifestExecutor(options.manifestExecutor, { controlRoot: join(layout.home, "cache", "manifest-warm"), instance: homeInstance(layout.home) });
}

/** What faces outside once the runtime runs: GitHub reporting (when configured) and the API. */
interface DaemonFront {
  api: ApiServer;
  github: GitHubService | undefined;
  unreport: () => void;
}

/**
 * Starts the runtime, GitHub reporting and the API, in that order; if one fails, what started is
 * stopped again and the database closed.
 */
async function startFront(
  base: DaemonBase,
  parts: { runtime: DaemonRuntime | undefined; gitops: GitOpsService; preview: { git: Git; manifests: ManifestPort; target: DeploymentTarget } },
): Promise<DaemonFront> {
  const { options, layout, db, clock, logger } = base;
  const { runtime, gitops } = parts;
  let github: GitHubService | undefined;
  let unreport = () => {};
  try {
    await runtime?.start();
    if (options.github) {
      github = await startGitHubService({
        settings: options.github,
        db,
        repos: base.repos,
        history: base.history,
        events: base.events,
        poke: () => gitops.poke(),
        preview: { ...parts.preview, repos: base.repos, history: base.history, validator: base.validator, mirrorsDir: layout.mirrorsDir, checkoutsDir: layout.checkoutsDir },
        logger,
        now: () => clock.now(),
      });
      const reporter = github.reporter;
      if (options.github.runReports === "failures") unreport = reportFailedRuns(base.hub, reporter, () => runtime?.services);
    }
    const api = await startApiServer({
      host: options.api.host,
      port: options.api.port,
      token: base.token,
      tokenFile: layout.tokenFile,
      services: withGitHubBindings(gitops, github?.store ?? new GitHubStore(db, () => clock.now())),
      ...(runtime ? { runtime: runtime.services } : {}),
      events: base.hub,
      clock,
      logger,
    });
    return { api, github, unreport };
  } catch (error) {
    unreport();
    await github?.stop().catch(() => undefined);
    await runtime?.stop().catch(() => undefined);
    base.unforward();
    db.close();
    throw error;
  }
}
