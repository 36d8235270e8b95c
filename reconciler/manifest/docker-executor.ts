/**
 * Runs the wrapper in the workspace's Docker environment (default dependency groups only: the
 * worker imports the deployment module, which needs the main environment), with no network and
 * the workspace mounted read-only at /workspace. The wrapper is passed with `python -c`, so
 * nothing but the workspace needs mounting.
 */
import type { ContainerEngine } from "../../runner/docker/index.js";
import { managedLabels, runOneShot } from "../../runner/docker/index.js";
import { WORKSPACE_MOUNT, environmentContainerSpec, ensureWorkspaceEnvironment, type WorkspaceEnvironment } from "../../runner/images/index.js";
import type { ManifestExecutor, PreparedInterpreter, ProgressSink } from "./executor.js";
import { WRAPPER_ENV, readWrapperScript } from "./wrapper-script.js";

export interface DockerExecutorOptions {
  engine: ContainerEngine;
  /** Sluice's cache (environment builds, locks); the runner's default when absent. */
  cacheDir?: string;
}

/** The `sluice.purpose` of a generation's container. */
export const MANIFEST_PURPOSE = "manifest";

/** The environment image puts its venv first on PATH. */
const CONTAINER_PYTHON = "python";

/** Memory of the container that imports `__deployment__.py` for dlt's manifest generator (swap: docker's default). */
export const MANIFEST_MEMORY_BYTES = 1024 * 1024 * 1024;

export function createDockerManifestExecutor(options: DockerExecutorOptions): ManifestExecutor {
  void removeEndedManifestContainers(options.engine);
  return {
    kind: "docker",
    async prepare(workspaceDir, onProgress): Promise<PreparedInterpreter> {
      const { environment, info } = await manifestEnvironment(options, workspaceDir, onProgress);
      const script = await readWrapperScript();
      return {
        info,
        workspaceRoot: WORKSPACE_MOUNT,
        async runWrapper(run) {
          const base = environmentContainerSpec({
            image: environment.image,
            workspaceDir,
            cmd: [CONTAINER_PYTHON, "-c", script, ...run.args],
            network: "none",
            readOnlyWorkspace: true,
            env: { ...WRAPPER_ENV, HOME: "/tmp" },
            purpose: MANIFEST_PURPOSE,
          });
          // a `__deployment__.py` that eats memory is OOM-killed here instead of taking the host's
          const spec = { ...base, resources: { memoryBytes: MANIFEST_MEMORY_BYTES } };
          const result = await runOneShot(options.engine, spec, { timeoutMs: run.timeoutMs, keepContainer: true });
          // the output is complete once the container has exited: remove it without making the
          // caller wait (~0.1 s); the pending request keeps Node alive until it is done
          void options.engine.removeContainer(result.containerId, { force: true }).catch(() => undefined);
          return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, timedOut: result.timedOut };
        },
      };
    },
  };
}

/**
 * Removes generation containers that ended and were never removed: their Sluice was killed between
 * the container's start and its removal. Their output was read when they ended (or never will be),
 * so any Sluice may remove them; a running or created one may be another Sluice's and stays.
 */
export async function removeEndedManifestContainers(engine: ContainerEngine): Promise<void> {
  const ended = (await engine.listContainers(managedLabels(MANIFEST_PURPOSE)).catch(() => [])).filter((c) => c.state === "exited" || c.state === "dead");
  await Promise.all(ended.map((c) => engine.removeContainer(c.id, { force: true }).catch(() => undefined)));
}

/**
 * The workspace environment manifests are generated in (default dependency groups only: the
 * worker imports the deployment module) and its description, for the cold and the warm executor.
 */
export async function manifestEnvironment(options: DockerExecutorOptions, workspaceDir: string, onProgress?: ProgressSink): Promise<{ environment: WorkspaceEnvironment; info: PreparedInterpreter["info"] }> {
  const started = performance.now();
  const environment = await ensureWorkspaceEnvironment(options.engine, {
    workspaceDir,
    dependencyGroups: [],
    ...(onProgress ? { onProgress } : {}),
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
  });
  const info = {
    executor: "docker" as const,
    image: environment.image,
    key: environment.key,
    reused: environment.reused,
    prepareMs: Math.round(performance.now() - started),
    pythonVersion: environment.pythonVersion,
  };
  return { environment, info };
}
