/**
 * The process side of runs: the Docker executor (default), the local one (`executor: local`) or
 * Kubernetes (`executor: kubernetes`: batch runs are Jobs, interactive runs a Pod with a Service
 * reached through a port-forward from the daemon's loopback proxy), with the extra run environment from
 * sluice.yaml and the boot-time recovery of run containers and Jobs. The scheduler owns timeouts,
 * so the executors are built with `enforceTimeouts: false`. Runs carry an instance label derived
 * from the home, so recovery only sees this daemon's. Every executor sits behind the workspace
 * data wrapper: batch runs of one workspace+profile start one at a time, interactive runs read a
 * snapshot of what `prod` loaded.
 */
import { join } from "node:path";
import type { Clock, Logger } from "../../core/index.js";
import { SluiceError } from "../../core/index.js";
import { createDockerodeEngine, waitForEngine, type ContainerEngine } from "../../runner/docker/index.js";
import type { AdoptedRunBase, PreparedRun, RecoveringExecutor, StartsRuns, SupervisedRun } from "../../runner/executors/index.js";
import { createDockerExecutor, createLocalExecutor, createWorkspaceData, hostVenvPythons, imageEnvironments } from "../../runner/executors/index.js";
import { createKubeApi, createKubernetesExecutor, createKubernetesServiceExecutor, createServiceApi, nodeImages, registryImages, type KubeRunEnvironment } from "../../runner/kubernetes/index.js";
import type { LogStore } from "../../runner/logs/index.js";
import type { SecretStore } from "../../runner/secrets/index.js";
import type { KubernetesSettings } from "../daemon/config.js";
import { homeInstance } from "../daemon/home.js";

export type RunExecutorKind = "docker" | "local" | "kubernetes";

export interface RunStarter extends StartsRuns {
  kind: RunExecutorKind;
  start(run: PreparedRun): Promise<SupervisedRun>;
  /** Boot: adopts every run container (or Job) left behind; the scheduler then claims its own through `adopt`. */
  recover(): Promise<void>;
  /** After the scheduler started: stops adopted runs nobody claimed (proxy services of the last boot). */
  releaseUnclaimed(): void;
  /** Daemon stop: leaves run containers and Jobs running for the next start to adopt, removes the idle warm ones (local runs: nothing to do). */
  detach(): Promise<void>;
  readonly lostReason: string;
  /**
   * `executor: kubernetes` with a storage class: `sluice exec` runs the command in a Job on the
   * cluster (on the runs' claims), since a container on this machine would not see them.
   */
  execInCluster?: (run: PreparedRun, command: string[]) => Promise<SupervisedRun>;
  /** `executor: local`: the host venv's python of a run (built if needed); `sluice exec` runs commands with it too. */
  pythonFor?: (run: PreparedRun) => Promise<string>;
}

/** Reasons of runs found gone at boot (docs/daemon.md, "Stopping and restarting"). */
const LOST_CONTAINER = "its container is gone (removed while the daemon was down)";
const LOST_JOB = "its Kubernetes Job or Pod is gone (removed while the daemon was down)";
const LOST_LOCAL = "the daemon stopped while its local process was active (local runs cannot be re-attached)";

export interface RunStarterOptions {
  kind: RunExecutorKind;
  clock: Clock;
  logStore: LogStore;
  secretStore: SecretStore;
  home: string;
  network: "bridge" | "host" | "none";
  env: Record<string, string>;
  /** `runs.warm` (default true): batch runs go to warm interpreters (local) or warm containers (Docker); an object sets the pool sizes. */
  warm?: boolean | { perTarget?: number; maxIdle?: number };
  logger: Logger;
  /** Required when `kind` is kubernetes. */
  kubernetes?: KubernetesSettings | null;
}

/** How long boot waits for dockerd to answer (it may start after Sluice): docs/reliability.md. */
const DOCKER_BOOT_WAIT_MS = 60_000;

/** What the kinds share: the run environment from sluice.yaml and the workspace data wrapper. */
interface StarterBase {
  options: RunStarterOptions;
  withEnv(run: PreparedRun): PreparedRun;
  gated(inner: { start(run: PreparedRun): Promise<SupervisedRun> }, options?: { dataElsewhere?: boolean }): ReturnType<typeof createWorkspaceData>;
  instance: string;
}

/** An executor that can hand back the runs it was following before a restart. */
type Recovering = Pick<RecoveringExecutor<AdoptedRunBase & { alive?: boolean }>, "recoverAll" | "detach">;

export async function createRunStarter(options: RunStarterOptions): Promise<RunStarter> {
  const { clock, logStore, logger } = options;
  const base: StarterBase = {
    options,
    withEnv: (run) => ({ ...run, env: { ...options.env, ...run.env } }),
    // one writer per workspace+profile at a time, readers (interactive runs) on snapshots: docs/workspaces.md
    gated: (inner, extra) => createWorkspaceData({ inner, dataRoot: join(options.home, "data"), logStore, clock, onError: (message, fields) => logger.warn(message, fields), ...extra }),
    instance: homeInstance(options.home),
  };
  if (options.kind === "local") return localStarter(base);
  const engine = await dockerEngine(logger);
  return options.kind === "kubernetes" ? kubernetesStarter(base, engine) : dockerStarter(base, engine);
}

function localStarter(base: StarterBase): RunStarter {
  const { clock, logStore, logger } = base.options;
  const pythonFor = hostVenvPythons({ onProgress: (line) => logger.debug("host venv", { line }) });
  const local = createLocalExecutor({ clock, logStore, pythonFor, enforceTimeouts: false, warm: base.options.warm ?? true });
  const data = base.gated({ start: (run) => local.start(base.withEnv(run)) });
  // daemon stop: the warm interpreters waiting for runs go (runs themselves cannot be re-attached: LOST_LOCAL)
  return { kind: "local", pythonFor, start: (run) => data.start(run), adopt: async () => null, recover: async () => data.recovered([]), releaseUnclaimed: () => {}, detach: async () => local.close(), lostReason: LOST_LOCAL };
}

async function dockerEngine(logger: Logger): Promise<ContainerEngine> {
  const engine = createDockerodeEngine();
  const onWaiting = (waitedMs: number) => logger.warn("waiting for the Docker engine to answer", { waitedMs, giveUpAfterMs: DOCKER_BOOT_WAIT_MS });
  if (!(await waitForEngine(engine, { timeoutMs: DOCKER_BOOT_WAIT_MS, intervalMs: 2_000, onWaiting }))) {
    throw new SluiceError("docker_unreachable", `The Docker engine did not answer within ${DOCKER_BOOT_WAIT_MS / 1000} s; runs need it.`, {
      hint: "Start dockerd (scripts/setup.sh), or set `executor: local` in sluice.yaml to run jobs in host venvs.",
    });
  }
  return engine;
}

function dockerExecutorOf(base: StarterBase, engine: ContainerEngine) {
  const { clock, logStore, logger, secretStore, network, home } = base.options;
  return createDockerExecutor({
    engine,
    clock,
    logStore,
    secretStore,
    environmentFor: imageEnvironments(engine, { onProgress: (line) => logger.debug("environment", { line }) }),
    network,
    overlayRoot: join(home, "overlays"),
    enforceTimeouts: false,
    instance: base.instance,
    warm: base.options.warm ?? true,
  });
}

function dockerStarter(base: StarterBase, engine: ContainerEngine): RunStarter {
  const docker = dockerExecutorOf(base, engine);
  const data = base.gated({ start: (run) => docker.start(base.withEnv(run)) });
  return recoveringStarter(base, "docker", (run) => data.start(run), [docker], data, LOST_CONTAINER);
}

/**
 * Batch runs as Jobs on the cluster, interactive runs as a Pod with a Service there, reached from
 * the daemon's loopback port through the API server's port-forward; environment images are built
 * by the local Docker engine and imported into the node.
 */
function kubernetesStarter(base: StarterBase, engine: ContainerEngine): RunStarter {
  const { clock, logStore, logger, secretStore, home } = base.options;
  const settings = base.options.kubernetes;
  if (!settings) throw new SluiceError("config_invalid", "executor: kubernetes needs a `kubernetes:` section in sluice.yaml.", { hint: "See docs/kubernetes.md." });
  const connection = { ...(settings.kubeconfig ? { kubeconfig: settings.kubeconfig } : {}), ...(settings.context ? { context: settings.context } : {}) };
  const common = {
    api: createKubeApi(connection),
    clock,
    logStore,
    secretStore,
    environmentFor: clusterImages(engine, settings, logger),
    overlayRoot: join(home, "overlays"),
    namespace: settings.namespace,
    pullPolicy: settings.pullPolicy,
    volumes: settings.volumes,
    ...(settings.serviceAccount ? { serviceAccount: settings.serviceAccount } : {}),
    instance: base.instance,
    enforceTimeouts: false,
  };
  const jobs = createKubernetesExecutor(common);
  const services = createKubernetesServiceExecutor({ ...common, services: createServiceApi(connection) });
  const data = base.gated({ start: (run) => (run.interactive ? services.start(base.withEnv(run)) : jobs.start(base.withEnv(run))) }, { dataElsewhere: settings.volumes !== "hostPath" });
  const starter = recoveringStarter(base, "kubernetes", (run) => data.start(run), [services, jobs], data, LOST_JOB);
  return settings.volumes === "hostPath" ? starter : { ...starter, execInCluster: (run, command) => jobs.exec(base.withEnv(run), command) };
}

/**
 * The run's image on the cluster: the environment image built by the local Docker engine, then
 * either imported into the node's containerd (the pod mounts the checkout from the node's disk), or
 * with the checkout as one more layer pushed to the registry and referenced by digest.
 */
function clusterImages(engine: ContainerEngine, settings: KubernetesSettings, logger: Logger): (run: PreparedRun) => Promise<KubeRunEnvironment> {
  const imageOf = imageEnvironments(engine, { onProgress: (line) => logger.debug("environment", { line }) });
  const { images } = settings;
  if (images.kind === "containerd") {
    const ensureOnNode = nodeImages({ containerdSocket: images.socket, onProgress: (line) => logger.info(line) });
    return async (run) => {
      const environment = await imageOf(run);
      await ensureOnNode(environment.image);
      return environment;
    };
  }
  const ship = registryImages({ registry: images.registry, onProgress: (line) => logger.info(line) });
  return async (run) => {
    const environment = await imageOf(run);
    const image = await ship({ environmentImage: environment.image, workspace: run.workspace.name, checkoutDir: run.workspace.dir });
    return { ...environment, image, checkoutInImage: true };
  };
}

/** Boot recovery over one or more executors: adopted runs wait for the scheduler to claim them. */
function recoveringStarter(
  base: StarterBase,
  kind: RunExecutorKind,
  start: (run: PreparedRun) => Promise<SupervisedRun>,
  executors: Recovering[],
  data: ReturnType<typeof createWorkspaceData>,
  lostReason: string,
): RunStarter {
  const { logger } = base.options;
  const recovered = new Map<string, SupervisedRun>();
  return {
    kind,
    start,
    async adopt(runId) {
      const run = recovered.get(runId);
      recovered.delete(runId);
      return run ? { run } : null;
    },
    async recover() {
      const adopted = (await Promise.all(executors.map((executor) => executor.recoverAll()))).flat();
      for (const one of adopted) {
        logger.info("run adopted", { runId: one.runId, ...(one.alive === undefined ? {} : { alive: one.alive }) });
        recovered.set(one.runId, one.run);
      }
      data.recovered(adopted);
    },
    releaseUnclaimed() {
      for (const [runId, run] of recovered) {
        logger.info("stopping a run no scheduler record claims", { runId });
        run.stop("runtime");
      }
      recovered.clear();
    },
    detach: async () => void (await Promise.all(executors.map((executor) => executor.detach()))),
    lostReason,
  };
}
