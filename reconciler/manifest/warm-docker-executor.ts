/**
 * Warm manifest generation (issue 14): instead of one container per generation (Python start and
 * `import dlt` every time, ~2–3 s), one long-lived container per environment image and checkout
 * folder runs the wrapper in serve mode (`sluice_manifest.py --serve`): dlt imported once, each
 * generation in a fresh fork of that process, so the workspace's own modules are imported anew
 * every time and a generation that crashes, hangs or eats memory takes only its fork down. The
 * container keeps the cold one's limits: no network, the checkouts read-only, 1 GiB of memory for
 * a generation (plus the server's share).
 * Requests and results pass through a small control folder shared with the container.
 *
 * The manifest is the same as a cold generation's (test/manifest-warm.test.ts compares them,
 * also after the workspace's modules change); only the workspace's path inside the container
 * differs (`/checkouts/<folder>` instead of `/workspace`), which dlt does not put in the manifest.
 */
import { basename, dirname, resolve } from "node:path";
import { managedLabels, type ContainerEngine } from "../../runner/docker/index.js";
import { MANIFEST_MEMORY_BYTES, manifestEnvironment, removeEndedManifestContainers } from "./docker-executor.js";
import type { ManifestExecutor, PreparedInterpreter } from "./executor.js";
import { DEFAULT_WARM_IDLE_MS, WarmWorker, WarmWorkers, type WarmServer } from "./warm-worker.js";
import { WRAPPER_ENV, readWrapperScript } from "./wrapper-script.js";

export const WARM_PURPOSE = "manifest-warm";
const CHECKOUTS_MOUNT = "/checkouts";
const CONTROL_MOUNT = "/sluice-control";
/**
 * The server's own share of the container's memory (~92 MiB measured with dlt, marimo and fastmcp
 * imported; its pages are shared with the fork): on top of the cold limit, so a generation has
 * about the 1 GiB a cold container gives it.
 */
const SERVER_MEMORY_BYTES = 128 * 1024 * 1024;

export interface WarmDockerExecutorOptions {
  engine: ContainerEngine;
  /** Where the control folders go (one per warm container). */
  controlRoot: string;
  cacheDir?: string;
  /** A warm container with no request for this long is removed (default 10 minutes). */
  idleMs?: number;
  /**
   * The server in a container ends itself after this long without a request (default: idleMs + 1
   * minute): it cannot see its daemon die, so a killed daemon's containers end (and are removed, as
   * they auto-remove) within that time. The daemon stops an idle one before.
   */
  serverIdleExitMs?: number;
  /** Label value telling this Sluice's warm containers from others' (removed at start and close). */
  instance?: string;
}

const SERVER_IDLE_MARGIN_MS = 60_000;

export interface WarmDockerManifestExecutor extends ManifestExecutor {
  /** Removes every warm container (daemon stop). */
  close(): Promise<void>;
}

export function createWarmDockerManifestExecutor(options: WarmDockerExecutorOptions): WarmDockerManifestExecutor {
  const workers = new WarmWorkers();
  const labels = { "sluice.instance": options.instance ?? "none" };
  // a restarted daemon removes what its killed predecessor left, at once (its first generation waits for it)
  const sweep = Promise.all([removeWarmContainers(options.engine, labels), removeEndedManifestContainers(options.engine)]);
  const idleMs = options.idleMs ?? DEFAULT_WARM_IDLE_MS;
  const serverIdleExitMs = options.serverIdleExitMs ?? idleMs + SERVER_IDLE_MARGIN_MS;
  const workerFor = async (image: string, checkouts: string): Promise<WarmWorker> => {
    await sweep;
    return workers.get(`${image}\0${checkouts}`, (onIdle) =>
      new WarmWorker({
        controlRoot: options.controlRoot,
        where: `in ${image}`,
        onIdle,
        start: (control) => startWarmContainer(options.engine, { image, checkouts, control, labels, serverIdleExitMs }),
        idleMs,
      }),
    );
  };
  return {
    kind: "docker",
    async prepare(workspaceDir, onProgress): Promise<PreparedInterpreter> {
      const { environment, info } = await manifestEnvironment(options, workspaceDir, onProgress);
      const folder = resolve(workspaceDir);
      const inContainer = `${CHECKOUTS_MOUNT}/${basename(folder)}`;
      return {
        info,
        workspaceRoot: inContainer,
        runWrapper: async (run) => (await workerFor(environment.image, dirname(folder))).generate(inContainer, run.args, run.timeoutMs),
      };
    },
    close: () => workers.close(),
  };
}

async function removeWarmContainers(engine: ContainerEngine, labels: Record<string, string>): Promise<void> {
  const left = await engine.listContainers(managedLabels(WARM_PURPOSE, labels)).catch(() => []);
  await Promise.all(left.map((c) => engine.removeContainer(c.id, { force: true }).catch(() => undefined)));
}

/** The server in a container with the cold generation's limits; removing the container ends it. */
async function startWarmContainer(
  engine: ContainerEngine,
  { image, checkouts, control, labels, serverIdleExitMs }: { image: string; checkouts: string; control: string; labels: Record<string, string>; serverIdleExitMs: number },
): Promise<WarmServer> {
  const script = await readWrapperScript();
  const id = await engine.createContainer({
    image,
    cmd: ["python", "-c", script, "--serve", CONTROL_MOUNT, "--idle-exit", String(serverIdleExitMs / 1000)],
    // a server that ended itself (its daemon gone) leaves no container behind
    autoRemove: true,
    purpose: WARM_PURPOSE,
    labels,
    env: { ...WRAPPER_ENV, HOME: "/tmp" },
    workingDir: "/",
    network: "none",
    binds: [
      { source: checkouts, target: CHECKOUTS_MOUNT, readOnly: true },
      { source: control, target: CONTROL_MOUNT, readOnly: false },
    ],
    tmpfs: [{ target: "/tmp", options: "rw,exec,nosuid,nodev,size=512m" }],
    init: true,
    resources: { memoryBytes: MANIFEST_MEMORY_BYTES + SERVER_MEMORY_BYTES },
  });
  try {
    await engine.startContainer(id);
  } catch (error) {
    await engine.removeContainer(id, { force: true }).catch(() => undefined);
    throw error;
  }
  return {
    alive: () => true,
    stop: () => engine.removeContainer(id, { force: true }).catch(() => undefined),
  };
}
