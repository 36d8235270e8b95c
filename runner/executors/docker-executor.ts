/**
 * One container per run from the job's environment image. The container is created, attached
 * (output streamed into the log store), started, and followed until it exits; then it is removed
 * together with its settings overlay. After a daemon restart, containers of runs that are still
 * alive are re-attached and supervised again (timeouts count from the original start); ended
 * ones yield their exit code and are removed. `detach()` (a graceful daemon stop) lets go of every
 * followed container without touching it, so the next daemon adopts it (docs/daemon.md).
 */
import { setMaxListeners } from "node:events";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { errorText, SluiceError, type Clock } from "../../core/index.js";
import type { ContainerEngine, ContainerSummary } from "../docker/index.js";
import { createRunLogWriter, storedLineCounts, type LogStore, type RunLogWriter } from "../logs/index.js";
import { createRedactor, createSettingsOverlay, secretValuesOf, type SecretStore } from "../secrets/index.js";
import { followContainer, removeIdleWarmContainers, runContainers, type DockerContext } from "./docker-follow.js";
import { RunLabel, type PreparedRun } from "./prepare-run.js";
import { ensureLoopbackBindDir } from "./loopback-bind.js";
import { assertServiceReachable, buildRunContainerSpec, runContainerName, type RunContainerSpec } from "./run-container-spec.js";
import { createRefills } from "./warm-refills.js";
import { createWarmContainers, removeWarmSlot, type WarmContainerOptions, type WarmContainers } from "./warm-containers.js";
import type { AdoptedRunBase, RecoveringExecutor, SupervisedRun } from "./supervisor.js";
import { crashPoint } from "../../core/crash-point.js";

export type RunContainerEngine = Pick<ContainerEngine, "ping" | "createContainer" | "attach" | "startContainer" | "waitContainer" | "killContainer" | "removeContainer" | "renameContainer" | "listContainers" | "readLogs">;

export interface RunEnvironment {
  image: string;
  /** Python of the venv inside the image. */
  python: string;
}

export interface DockerExecutorOptions {
  engine: RunContainerEngine;
  clock: Clock;
  logStore: LogStore;
  secretStore: SecretStore;
  /** Environment image for the run's job (e.g. from `ensureWorkspaceEnvironment`). */
  environmentFor: (run: PreparedRun) => Promise<RunEnvironment>;
  network: "none" | "host" | "bridge";
  /** Where per-run settings overlays (with secrets) are staged. */
  overlayRoot: string;
  /** Host port for interactive runs; default: the same number as `run_args.port` (allocated by the caller). */
  hostPortFor?: (run: PreparedRun) => number | undefined;
  /** Let the executor enforce `execute.timeout` (off when the scheduler owns the timers). */
  enforceTimeouts?: boolean;
  /**
   * Identity of this Sluice (e.g. a hash of its home). When set, run containers carry it as a label
   * and `adopt`/`recoverAll` only see containers with the same value, so several Sluice homes (or
   * test suites) sharing one Docker engine never adopt or stop each other's runs. A Sluice without
   * an instance only sees containers that carry none.
   */
  instance?: string;
  /**
   * How long a followed run waits for the Docker engine when the connection to it breaks (dockerd
   * restarting) before the run counts as lost; default 2 minutes.
   */
  engineReconnectMs?: number;
  /**
   * Hand batch runs to warm containers with dlt imported (warm-containers.ts): true, or the pool's
   * sizes. Default false: every run gets a container of its own from the start (the daemon turns
   * it on with `runs.warm`, default true).
   */
  warm?: boolean | Pick<WarmContainerOptions, "maxIdle" | "perTarget">;
}

export interface AdoptedRun extends AdoptedRunBase {
  containerId: string;
  /** true when the container was still running and is followed again. */
  alive: boolean;
}

export type DockerExecutor = RecoveringExecutor<AdoptedRun> & {
  /** Removes the idle warm containers (runs under way are not touched). */
  close(): Promise<void>;
  /** The warm containers, for tests and benches (undefined when warm is off). */
  readonly warmContainers?: WarmContainers;
};

export function createDockerExecutor(options: DockerExecutorOptions): DockerExecutor {
  const detaching = new AbortController();
  // every followed run and every warm container listens for the daemon's stop: no limit applies
  setMaxListeners(0, detaching.signal);
  const scope: Record<string, string> = options.instance ? { [RunLabel.instance]: options.instance } : {};
  const warm =
    options.warm === undefined || options.warm === false
      ? undefined
      : createWarmContainers({
          engine: options.engine,
          root: join(options.overlayRoot, "warm"),
          scope,
          namePrefix: `sluice-warm-${options.instance ?? "default"}`,
          signal: detaching.signal,
          ...(options.warm === true ? {} : options.warm),
        });
  const refills = createRefills();
  const ctx: DockerContext = { options, engine: options.engine, enforce: options.enforceTimeouts ?? true, detaching, untilDetached: { signal: detaching.signal }, scope, refills, ...(warm ? { warm } : {}) };
  return {
    ...(warm ? { warmContainers: warm } : {}),
    start: (run) => startContainerRun(ctx, run),
    async adopt(runId) {
      const [container] = await runContainers(ctx, { [RunLabel.runId]: runId });
      return container ? adoptContainer(ctx, container) : null;
    },
    async recoverAll() {
      // warm containers a stopped daemon left idle (never runs) go first
      await removeIdleWarmContainers(ctx);
      const adopted: AdoptedRun[] = [];
      for (const container of await runContainers(ctx)) {
        const result = await adoptContainer(ctx, container);
        if (result) adopted.push(result);
        else await ctx.engine.removeContainer(container.id, { force: true }).catch(() => undefined);
      }
      return adopted;
    },
    async detach() {
      detaching.abort();
      refills.close();
      await warm?.close();
    },
    close: async () => {
      refills.close();
      await warm?.close();
    },
  };
}

/** The container of `run` as a cold start creates it (`settingsDir`: the overlay, or a stand-in for the key of a warm one). */
function runSpecOf(ctx: DockerContext, run: PreparedRun, environment: RunEnvironment, settingsDir: string | undefined): RunContainerSpec {
  const spec = buildRunContainerSpec(run, {
    image: environment.image,
    python: environment.python,
    network: ctx.options.network,
    settingsDir,
    hostPort: ctx.options.hostPortFor ? ctx.options.hostPortFor(run) : run.interactive ? run.entryPoint.run_args?.port : undefined,
    ...(run.interactive && ctx.options.network === "host" ? { loopbackBindDir: ensureLoopbackBindDir(ctx.options.overlayRoot) } : {}),
  });
  spec.labels = { ...spec.labels, ...ctx.scope };
  if (ctx.options.instance) spec.name = runContainerName(run.runId, ctx.options.instance);
  return spec;
}

async function startContainerRun(ctx: DockerContext, run: PreparedRun): Promise<SupervisedRun> {
  assertServiceReachable(run, ctx.options.network);
  const environment = await ctx.options.environmentFor(run);
  const log = createRunLogWriter(ctx.options.logStore, run.runId, { redact: run.redact });
  const hasSettings = existsSync(join(run.workspace.dir, ".dlt"));
  if (!hasSettings && run.secretsFile) log.system("sluice: the workspace has no .dlt/ folder, stored secrets were not mounted");
  if (ctx.warm) {
    const template = runSpecOf(ctx, run, environment, hasSettings ? join(ctx.options.overlayRoot, run.runId) : undefined);
    const warm = ctx.warm;
    const taken = await warm.take(run, template);
    // the next run like this one finds a warm container (a cold start's included)
    const refill = (ended: Promise<unknown>) => ctx.refills.runStarted(taken ? { othersWaiting: warm.waiting(run, template) } : "cold", ended, (count) => warm.prepare(run, template, count));
    if (taken) {
      const startedMs = ctx.options.clock.now();
      taken.attach((stream, chunk) => log.push(stream, chunk));
      // found by the run's name from here on, as a cold run's container (its labels are the warm container's)
      if (template.name) await ctx.engine.renameContainer(taken.containerId, template.name).catch(() => undefined);
      const followed = followContainer(ctx, { runId: run.runId, containerId: taken.containerId, log, attached: taken.attached, startedMs, timeoutMs: run.limits.timeoutMs, graceMs: run.limits.graceMs, cleanup: taken.cleanup });
      refill(followed.outcome);
      return followed;
    }
    refill(Promise.resolve());
  }
  return startColdContainer(ctx, run, environment, log);
}

async function startColdContainer(ctx: DockerContext, run: PreparedRun, environment: RunEnvironment, log: RunLogWriter): Promise<SupervisedRun> {
  const overlay = createSettingsOverlay({ root: ctx.options.overlayRoot, runId: run.runId, workspaceDir: run.workspace.dir, profile: run.profile, secretsFile: run.secretsFile });
  const spec = runSpecOf(ctx, run, environment, overlay?.dir);
  let containerId: string | undefined;
  try {
    containerId = await ctx.engine.createContainer(spec);
    const { done } = await ctx.engine.attach(containerId, (stream, chunk) => log.push(stream, chunk), ctx.untilDetached);
    const startedMs = ctx.options.clock.now();
    crashPoint("container-created");
    await ctx.engine.startContainer(containerId);
    return followContainer(ctx, { runId: run.runId, containerId, log, attached: done, startedMs, timeoutMs: run.limits.timeoutMs, graceMs: run.limits.graceMs });
  } catch (error) {
    if (containerId) await ctx.engine.removeContainer(containerId, { force: true }).catch(() => undefined);
    overlay?.remove();
    const message = run.redact(errorText(error));
    log.system(`sluice: the run's container could not be started: ${message}`);
    ctx.options.logStore.end(run.runId);
    // The original error may quote the spec (env, mounts): only the masked text leaves.
    throw new SluiceError("run_start_failed", `Run ${run.runId} of ${run.job.job_ref} could not be started: ${message}`, {
      hint: "See the run's log for details.",
      details: { job: run.job.job_ref },
    });
  }
}

async function adoptContainer(ctx: DockerContext, container: ContainerSummary): Promise<AdoptedRun | null> {
  const labels = container.labels;
  const runId = labels[RunLabel.runId];
  if (!runId) return null;
  const workspace = labels[RunLabel.workspace];
  const profile = labels[RunLabel.profile];
  const secrets = workspace && profile ? ctx.options.secretStore.read(workspace, profile) : undefined;
  // created but never started (a crash before the start): nothing ran; recoverAll removes it
  if (container.state === "created") return null;
  const alive = container.state === "running";
  const log = createRunLogWriter(ctx.options.logStore, runId, {
    redact: createRedactor(secrets ? secretValuesOf(secrets) : []),
    skip: storedLineCounts(ctx.options.logStore, runId),
  });
  log.system(alive ? "sluice: re-attached to the run's container after a restart" : `sluice: the run's container ended while Sluice was down (${container.state})`);
  let attached: Promise<void> = Promise.resolve();
  let following = false;
  if (alive) {
    try {
      attached = (await ctx.engine.attach(container.id, (stream, chunk) => log.push(stream, chunk), ctx.untilDetached)).done;
      following = true;
    } catch {
      // ended in between: its output is read below
    }
  }
  if (!following) await ctx.engine.readLogs(container.id, (stream, chunk) => log.push(stream, chunk)).catch(() => undefined);
  const number = (key: string) => (labels[key] !== undefined && labels[key] !== "" ? Number(labels[key]) : undefined);
  const run = followContainer(ctx, {
    runId,
    containerId: container.id,
    log,
    attached,
    startedMs: number(RunLabel.startedMs) ?? ctx.options.clock.now(),
    timeoutMs: number(RunLabel.timeoutMs),
    graceMs: number(RunLabel.graceMs) ?? 30_000,
    cleanup: () => removeWarmSlot(container),
  });
  return { runId, jobRef: labels[RunLabel.jobRef] ?? "", containerId: container.id, alive, labels, run };
}
