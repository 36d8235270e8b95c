/**
 * The process side of runs: the Docker executor (default) or the local one (`executor: local`),
 * with the extra run environment from sluice.yaml and the boot-time recovery of run containers.
 * The scheduler owns timeouts, so the executors are built with `enforceTimeouts: false`. Run
 * containers carry an instance label derived from the home, so recovery only sees this daemon's.
 * Both executors sit behind the workspace data wrapper: batch runs of one workspace+profile start
 * one at a time, interactive runs read a snapshot of what `prod` loaded.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Clock, Logger } from "../../core/index.js";
import { SluiceError } from "../../core/index.js";
import { createDockerodeEngine, waitForEngine } from "../../runner/docker/index.js";
import type { PreparedRun, StartsRuns, SupervisedRun } from "../../runner/executors/index.js";
import { createDockerExecutor, createLocalExecutor, createWorkspaceData, hostVenvPythons, imageEnvironments } from "../../runner/executors/index.js";
import type { LogStore } from "../../runner/logs/index.js";
import type { SecretStore } from "../../runner/secrets/index.js";

export interface RunStarter extends StartsRuns {
  kind: "docker" | "local";
  start(run: PreparedRun): Promise<SupervisedRun>;
  /** Boot: adopts every run container left behind; the scheduler then claims its own through `adopt`. */
  recover(): Promise<void>;
  /** After the scheduler started: stops adopted runs nobody claimed (proxy services of the last boot). */
  releaseUnclaimed(): void;
  /** Daemon stop: leaves run containers running for the next start to adopt (local runs: nothing to do). */
  detach(): void;
  readonly lostReason: string;
}

/** Reasons of runs found gone at boot (docs/daemon.md, "Stopping and restarting"). */
const LOST_CONTAINER = "its container is gone (removed while the daemon was down)";
const LOST_LOCAL = "the daemon stopped while its local process was active (local runs cannot be re-attached)";

export interface RunStarterOptions {
  kind: "docker" | "local";
  clock: Clock;
  logStore: LogStore;
  secretStore: SecretStore;
  home: string;
  network: "bridge" | "host" | "none";
  env: Record<string, string>;
  logger: Logger;
}

/** How long boot waits for dockerd to answer (it may start after Sluice): docs/reliability.md. */
const DOCKER_BOOT_WAIT_MS = 60_000;

export async function createRunStarter(options: RunStarterOptions): Promise<RunStarter> {
  const { clock, logStore, logger } = options;
  const withEnv = (run: PreparedRun): PreparedRun => ({ ...run, env: { ...options.env, ...run.env } });
  // one writer per workspace+profile at a time, readers (interactive runs) on snapshots: docs/workspaces.md
  const gated = (inner: { start(run: PreparedRun): Promise<SupervisedRun> }) =>
    createWorkspaceData({ inner, dataRoot: join(options.home, "data"), logStore, clock, onError: (message, fields) => logger.warn(message, fields) });
  if (options.kind === "local") {
    const local = createLocalExecutor({ clock, logStore, pythonFor: hostVenvPythons({ onProgress: (line) => logger.debug("host venv", { line }) }), enforceTimeouts: false });
    const data = gated({ start: (run) => local.start(withEnv(run)) });
    return { kind: "local", start: (run) => data.start(run), adopt: async () => null, recover: async () => data.recovered([]), releaseUnclaimed: () => {}, detach: () => {}, lostReason: LOST_LOCAL };
  }
  const engine = createDockerodeEngine();
  const onWaiting = (waitedMs: number) => logger.warn("waiting for the Docker engine to answer", { waitedMs, giveUpAfterMs: DOCKER_BOOT_WAIT_MS });
  if (!(await waitForEngine(engine, { timeoutMs: DOCKER_BOOT_WAIT_MS, intervalMs: 2_000, onWaiting }))) {
    throw new SluiceError("docker_unreachable", `The Docker engine did not answer within ${DOCKER_BOOT_WAIT_MS / 1000} s; runs need it.`, {
      hint: "Start dockerd (scripts/setup.sh), or set `executor: local` in sluice.yaml to run jobs in host venvs.",
    });
  }
  const docker = createDockerExecutor({
    engine,
    clock,
    logStore,
    secretStore: options.secretStore,
    environmentFor: imageEnvironments(engine, { onProgress: (line) => logger.debug("environment", { line }) }),
    network: options.network,
    overlayRoot: join(options.home, "overlays"),
    enforceTimeouts: false,
    // runs are labelled with this home: recovery never adopts (or stops) another Sluice's or a test's containers
    instance: createHash("sha256").update(options.home).digest("hex").slice(0, 16),
  });
  const data = gated({ start: (run) => docker.start(withEnv(run)) });
  const recovered = new Map<string, SupervisedRun>();
  return {
    kind: "docker",
    start: (run) => data.start(run),
    async adopt(runId) {
      const run = recovered.get(runId);
      recovered.delete(runId);
      return run ? { run } : null;
    },
    async recover() {
      const adopted = await docker.recoverAll();
      for (const one of adopted) {
        logger.info("run container adopted", { runId: one.runId, alive: one.alive });
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
    detach: () => docker.detach(),
    lostReason: LOST_CONTAINER,
  };
}
