/**
 * The daemon's composition root: home, config, token, SQLite, the GitOps service and the API,
 * wired in one place. The scheduler and the manifest generator come in through ports.
 */
import { createHash } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Clock, Database, Logger } from "../../core/index.js";
import { SystemClock, TypedEvents, createLogger, openDatabase } from "../../core/index.js";
import { createGitCli } from "../../reconciler/git/index.js";
import type { GitHubService } from "../../reconciler/github/index.js";
import { GitHubStore, startGitHubService } from "../../reconciler/github/index.js";
import { DeploymentHistory, RepoStore } from "../../reconciler/history/index.js";
import type { DeploymentTarget, ManifestPort, ManifestValidatorPort, ReconcilerEventMap } from "../../reconciler/reconcile/index.js";
import { GitOpsService, InMemoryDeploymentTarget, dltManifestPort, schemaManifestValidator } from "../../reconciler/reconcile/index.js";
import { createWarmManifestExecutor } from "../../reconciler/manifest/index.js";
import type { ApiServer } from "./api-server.js";
import { startApiServer } from "./api-server.js";
import type { DaemonOptions } from "./config.js";
import { loadDaemonConfig } from "./config.js";
import { EventHub, forwardReconcilerEvents } from "./event-hub.js";
import { reportFailedRuns, withGitHubBindings } from "./github-wiring.js";
import type { HomeLayout } from "./home.js";
import type { RuntimeServices } from "./runtime-types.js";
import { prepareHome } from "./home.js";
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
  /** The API's routes (method and path pattern). */
  routes: ApiServer["routes"];
  stop(): Promise<void>;
}

/** Written at start so `sluice` client commands find the API without flags. */
export const DAEMON_INFO_FILE = "daemon.json";

export async function startDaemon(input: StartDaemonInput): Promise<RunningDaemon> {
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
  const unforward = forwardReconcilerEvents(events, hub);
  const validator = input.ports?.validator === null ? undefined : (input.ports?.validator ?? schemaManifestValidator());
  const history = new DeploymentHistory(db, () => clock.now());
  const repos = new RepoStore(db, () => clock.now());
  // `manifest.warm`: one warm worker per environment (Docker image, or host venv) generates pushed commits
  const warm = !input.ports?.manifests && options.manifestWarm
    ? createWarmManifestExecutor(options.manifestExecutor, { controlRoot: join(layout.home, "cache", "manifest-warm"), instance: createHash("sha256").update(layout.home).digest("hex").slice(0, 16) })
    : undefined;
  const manifests = input.ports?.manifests ?? dltManifestPort({ executor: warm ?? options.manifestExecutor, timeoutMs: options.generateTimeoutMs });
  let runtime: DaemonRuntime | undefined;
  try {
    runtime = await input.runtime?.({ layout, options, db, clock, logger, hub, events, history, repos, manifests, validator });
  } catch (error) {
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
  const gitops = new GitOpsService({
    git,
    history,
    repos,
    layout: { reposDir: layout.reposDir, mirrorsDir: layout.mirrorsDir, checkoutsDir: layout.checkoutsDir },
    manifests,
    validator,
    target,
    clock,
    events,
    pollIntervalMs: options.pollIntervalMs,
    retryAfterMs: options.retryAfterMs,
    logger,
  });

  let api: ApiServer;
  let github: GitHubService | undefined;
  let unreport = () => {};
  try {
    await runtime?.start();
    if (options.github) {
      github = await startGitHubService({
        settings: options.github,
        db,
        repos,
        history,
        events,
        poke: () => gitops.poke(),
        preview: { git, repos, history, manifests, validator, target, mirrorsDir: layout.mirrorsDir, checkoutsDir: layout.checkoutsDir },
        logger,
        now: () => clock.now(),
      });
      const reporter = github.reporter;
      if (options.github.runReports === "failures") unreport = reportFailedRuns(hub, reporter, () => runtime?.services);
    }
    api = await startApiServer({
      host: options.api.host,
      port: options.api.port,
      token,
      tokenFile: layout.tokenFile,
      services: withGitHubBindings(gitops, github?.store ?? new GitHubStore(db, () => clock.now())),
      ...(runtime ? { runtime: runtime.services } : {}),
      events: hub,
      clock,
      logger,
    });
  } catch (error) {
    unreport();
    await github?.stop().catch(() => undefined);
    await runtime?.stop().catch(() => undefined);
    unforward();
    db.close();
    throw error;
  }
  gitops.start();
  const infoFile = join(layout.home, DAEMON_INFO_FILE);
  await writeFile(infoFile, `${JSON.stringify({ url: api.url, pid: process.pid }, null, 2)}\n`, { mode: 0o600 });

  return {
    layout,
    options,
    url: api.url,
    routes: api.routes,
    token,
    gitops,
    hub,
    db,
    runtime,
    github,
    async stop() {
      await api.close();
      unreport();
      await github?.stop();
      await gitops.stop();
      await runtime?.stop();
      await warm?.close();
      unforward();
      db.close();
      await rm(infoFile, { force: true });
    },
  };
}
