/**
 * The composition root of the runtime: the durable scheduler (SQLite in the home, the daemon's
 * clock), the run executor (Docker, or local), boot recovery of run containers, the proxy for
 * interactive jobs, run and log events on the SSE hub, and the scheduler DeploymentTarget the
 * reconciler applies to. `sluice up` passes `composeRuntime` to `startDaemon`.
 */
import { join } from "node:path";
import { SchedulerDeploymentTarget, type DeployedWorkspace } from "../../reconciler/apply/index.js";
import type { JobDefinition, RunSpec } from "../../runner/scheduler/index.js";
import { Scheduler, SchedulerStore } from "../../runner/scheduler/index.js";
import type { PrepareContext } from "../../runner/executors/index.js";
import { createSchedulerExecutor } from "../../runner/executors/index.js";
import { createLogStore, type LogStore } from "../../runner/logs/index.js";
import { createSecretStore } from "../../runner/secrets/index.js";
import { SluiceError } from "../../core/index.js";
import type { DaemonRuntime, RuntimeContext } from "../daemon/daemon.js";
import { createExecServices } from "./exec.js";
import { createInteractive } from "./interactive.js";
import { createLocalDeployer } from "./local-deploy.js";
import { publishRunEvents } from "./run-events.js";
import { createRunPlacements, type RunPlacements } from "./run-placements.js";
import { createRunStarter, type RunStarter } from "./run-starter.js";
import { createRuntimeServices } from "./runtime-services.js";

export const SLUICE_VERSION = "0.1.0";

export async function composeRuntime(ctx: RuntimeContext): Promise<DaemonRuntime> {
  const { layout, options, clock, logger } = ctx;
  const logStore = createLogStore({ dir: layout.logsDir, onWriteError: (runId, error) => logger.warn("cannot write a run's log; lines are counted and noted once writing works again", { runId, error: error.message }) });
  const secretStore = createSecretStore(layout.secretsDir);
  const context: PrepareContext = { secretStore, dataRoot: join(layout.home, "data"), machines: options.machines };
  const starter = await createRunStarter({ kind: options.runExecutor, clock, logStore, secretStore, home: layout.home, network: options.runNetwork, env: options.runEnv, warm: options.runWarm, logger: logger.child("runs"), kubernetes: options.kubernetes });
  const placements = createRunPlacements(ctx.db);
  const parts: RuntimeParts = { ...composeScheduling(ctx, { starter, context, placements }), starter, context, placements, logStore };
  const { scheduler, target, interactive } = parts;
  const services = composeServices(ctx, parts);
  let unpublish = () => {};

  return {
    target,
    services,
    proxyUrl: () => interactive.url(),
    async start() {
      target.restore(activeDeployments(ctx));
      await starter.recover();
      await scheduler.start();
      starter.releaseUnclaimed();
      unpublish = publishRunEvents({ scheduler, hub: ctx.hub, logStore, workspaceOf: (ref) => target.workspaceOfJob(ref)?.workspace ?? null, whereOf: (runId) => placements.get(runId) });
      await interactive.start();
      logger.info("runtime started", { executor: starter.kind, jobs: scheduler.jobs.size, proxy: interactive.url() });
    },
    async stop() {
      // services first, while the scheduler still records how they ended
      await interactive.stop();
      unpublish();
      scheduler.stop();
      // batch run containers keep running; the next start re-attaches them (docs/daemon.md)
      await starter.detach();
    },
  };
}

interface RuntimeParts {
  starter: RunStarter;
  context: PrepareContext;
  placements: RunPlacements;
  logStore: LogStore;
  scheduler: Scheduler;
  target: SchedulerDeploymentTarget;
  interactive: ReturnType<typeof createInteractive>;
}

/** The scheduler over the run starter, the deployment target the reconciler applies to, and the interactive jobs' proxy. */
function composeScheduling(
  ctx: RuntimeContext,
  { starter, context, placements }: Pick<RuntimeParts, "starter" | "context" | "placements">,
): Pick<RuntimeParts, "scheduler" | "target" | "interactive"> {
  const { options, db, clock, logger } = ctx;
  const late: { target?: SchedulerDeploymentTarget; interactive?: ReturnType<typeof createInteractive> } = {};
  const workspaceOf = (spec: RunSpec) => {
    const deployed = late.target?.workspaceOfJob(spec.jobRef);
    if (!deployed) throw new SluiceError("workspace_unknown", `No deployed workspace holds ${spec.jobRef}.`);
    return { name: deployed.workspace, dir: deployed.checkoutDir, ...(deployed.version === null ? {} : { deploymentVersion: deployed.version }) };
  };
  const inner = createSchedulerExecutor({
    executor: starter,
    clock,
    context,
    workspaceOf,
    // every interactive run gets a port behind the proxy, however it was started
    runArgsFor: (spec, job, workspace) => late.interactive?.runArgsFor(spec, job, workspace),
    onStarted: (spec, prepared, supervised) => {
      placements.follow(spec.runId, supervised);
      late.interactive?.onStarted(spec, prepared, supervised);
    },
  });
  const scheduler = new Scheduler({ clock, store: new SchedulerStore(db), logger, executor: inner });
  const target = new SchedulerDeploymentTarget({ scheduler });
  late.target = target;
  const interactive = createInteractive({ clock, scheduler, port: options.proxyPort });
  late.interactive = interactive;
  return { scheduler, target, interactive };
}

/** What the daemon's API calls: runtime services, local deploys and `sluice exec`. */
function composeServices(ctx: RuntimeContext, { scheduler, target, interactive, logStore, placements, starter, context }: RuntimeParts): DaemonRuntime["services"] {
  const { layout, options, clock, logger, history } = ctx;
  const deployDir = createLocalDeployer({
    checkoutsDir: layout.checkoutsDir,
    history,
    repos: ctx.repos,
    target,
    validator: ctx.validator,
    events: ctx.events,
    clock,
    executor: options.manifestExecutor,
    timeoutMs: options.generateTimeoutMs,
    logger,
  });
  const services = createRuntimeServices({
    scheduler,
    target,
    logStore,
    history,
    repos: ctx.repos,
    deployDir,
    serve: (job, scope) => interactive.serve(job, scope),
    whereOf: (runId) => placements.get(runId),
    daemonInfo: () => ({
      version: SLUICE_VERSION,
      url: "",
      executor: options.runExecutor,
      proxyUrl: interactive.url(),
      dltVersions: [...new Set(target.deployed().map((d) => history.active(d.workspace)?.dltVersion).filter((v): v is string => !!v))],
    }),
  });
  // `sluice exec` runs where runs run: in the host venv (local), else in the workspace's environment on the daemon's
  // Docker engine, also with executor: kubernetes, except when runs keep their data on claims: then in a Job on the cluster
  const cluster = starter.execInCluster ? { start: starter.execInCluster, logStore } : undefined;
  const executor = starter.pythonFor ? { kind: "local" as const, pythonFor: starter.pythonFor } : { kind: "docker" as const };
  services.exec = createExecServices({ executor, ...(cluster ? { cluster } : {}), target, history, context, home: layout.home, network: options.runNetwork, env: options.runEnv, clock, logger: logger.child("exec") });
  return services;
}

/** The active deployment of every workspace the history knows (repos and local deploys). */
function activeDeployments(ctx: RuntimeContext): DeployedWorkspace[] {
  const out: DeployedWorkspace[] = [];
  for (const state of ctx.history.listStates()) {
    const active = ctx.history.active(state.workspace);
    if (!active?.manifest || !active.checkoutDir) continue;
    out.push({
      workspace: state.workspace,
      checkoutDir: active.checkoutDir,
      version: active.version,
      commit: active.commit.sha,
      jobs: (active.manifest.jobs as JobDefinition[] | undefined) ?? [],
      jobHashes: active.jobHashes,
    });
  }
  return out;
}
