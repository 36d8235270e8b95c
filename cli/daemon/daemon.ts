/**
 * The daemon's composition root: home, config, token, SQLite, the GitOps service and the API,
 * wired in one place. The scheduler and the manifest generator come in through ports.
 */
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Clock, Database, Logger } from "../../core/index.js";
import { SystemClock, TypedEvents, createLogger, openDatabase } from "../../core/index.js";
import { createGitCli } from "../../reconciler/git/index.js";
import { DeploymentHistory, RepoStore } from "../../reconciler/history/index.js";
import type { DeploymentTarget, ManifestPort, ManifestValidatorPort, ReconcilerEventMap } from "../../reconciler/reconcile/index.js";
import { GitOpsService, InMemoryDeploymentTarget, dltManifestPort, schemaManifestValidator } from "../../reconciler/reconcile/index.js";
import type { ApiServer } from "./api-server.js";
import { startApiServer } from "./api-server.js";
import type { DaemonOptions } from "./config.js";
import { loadDaemonConfig } from "./config.js";
import { EventHub, forwardReconcilerEvents } from "./event-hub.js";
import type { HomeLayout } from "./home.js";
import { prepareHome } from "./home.js";
import { ensureToken } from "./token.js";

export interface StartDaemonInput {
  home: string;
  /** Explicit --config path (must exist); default `<home>/sluice.yaml` when present. */
  configFile?: string;
  /** Overrides of the compiled config (tests: port 0, short poll interval). */
  overrides?: Partial<DaemonOptions>;
  ports?: { manifests?: ManifestPort; target?: DeploymentTarget; validator?: ManifestValidatorPort | null };
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
  let target = input.ports?.target;
  if (!target) {
    logger.warn("no scheduler wired: deployments are kept in memory only");
    target = new InMemoryDeploymentTarget();
  }
  const validator = input.ports?.validator === null ? undefined : (input.ports?.validator ?? schemaManifestValidator());
  const gitops = new GitOpsService({
    git: createGitCli(),
    history: new DeploymentHistory(db, () => clock.now()),
    repos: new RepoStore(db, () => clock.now()),
    layout: { reposDir: layout.reposDir, mirrorsDir: layout.mirrorsDir, checkoutsDir: layout.checkoutsDir },
    manifests: input.ports?.manifests ?? dltManifestPort({ executor: options.manifestExecutor, timeoutMs: options.generateTimeoutMs }),
    validator,
    target,
    clock,
    events,
    pollIntervalMs: options.pollIntervalMs,
    retryAfterMs: options.retryAfterMs,
    logger,
  });

  let api: ApiServer;
  try {
    api = await startApiServer({ host: options.api.host, port: options.api.port, token, tokenFile: layout.tokenFile, services: gitops, events: hub, clock, logger });
  } catch (error) {
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
    token,
    gitops,
    hub,
    db,
    async stop() {
      await api.close();
      await gitops.stop();
      unforward();
      db.close();
      await rm(infoFile, { force: true });
    },
  };
}
