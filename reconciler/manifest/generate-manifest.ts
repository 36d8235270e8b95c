/** `generateManifest`: picks the executor ("docker" or "local") and runs the generation. */
import { join } from "node:path";
import { createDockerodeEngine } from "../../runner/docker/index.js";
import type { ContainerEngine } from "../../runner/docker/index.js";
import { defaultCacheDir, ensureHostVenv } from "../../runner/images/index.js";
import { createDockerManifestExecutor } from "./docker-executor.js";
import type { ManifestExecutor, ProgressSink } from "./executor.js";
import { generateManifestWith } from "./generate.js";
import { createLocalManifestExecutor, type LocalExecutorOptions } from "./local-executor.js";
import { createWarmDockerManifestExecutor } from "./warm-docker-executor.js";
import { createWarmLocalManifestExecutor } from "./warm-local-executor.js";
import type { GeneratedManifest, ManifestExecutorKind } from "./types.js";

export interface GenerateManifestOptions {
  workspaceDir: string;
  /** Ad-hoc mode: one script (relative to the workspace) instead of `__deployment__.py`. */
  script?: string;
  /** "docker" (default): the workspace's image; "local": a host venv; or a ready executor. */
  executor?: ManifestExecutorKind | ManifestExecutor;
  onProgress?: ProgressSink;
  timeoutMs?: number;
  /** Docker engine for the docker executor (default: the local daemon). */
  engine?: ContainerEngine;
  cacheDir?: string;
  retryCommand?: string;
}

export function createManifestExecutor(kind: ManifestExecutorKind, options: { engine?: ContainerEngine; cacheDir?: string } = {}): ManifestExecutor {
  if (kind === "local") return createLocalManifestExecutor(hostVenvOptions(options.cacheDir));
  return createDockerManifestExecutor({ engine: options.engine ?? createDockerodeEngine(), ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }) });
}

export interface WarmManifestExecutor extends ManifestExecutor {
  /** Stops every warm worker. */
  close(): Promise<void>;
}

/**
 * A warm worker per environment (`manifest.warm`): per environment image and checkout folder in
 * Docker, per host venv locally; dlt imported once, each generation in a fresh fork.
 */
export function createWarmManifestExecutor(
  kind: ManifestExecutorKind,
  options: { controlRoot: string; instance?: string; engine?: ContainerEngine; cacheDir?: string },
): WarmManifestExecutor {
  if (kind === "local") return createWarmLocalManifestExecutor({ ...hostVenvOptions(options.cacheDir), controlRoot: options.controlRoot });
  return createWarmDockerManifestExecutor({
    engine: options.engine ?? createDockerodeEngine(),
    controlRoot: options.controlRoot,
    ...(options.instance === undefined ? {} : { instance: options.instance }),
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
  });
}

/** The host venv of a workspace's default dependencies, and a bytecode cache beside Sluice's. */
function hostVenvOptions(cacheDir: string | undefined): LocalExecutorOptions {
  return {
    ensureInterpreter: (workspaceDir, onProgress) =>
      ensureHostVenv({ workspaceDir, dependencyGroups: [], onProgress, ...(cacheDir === undefined ? {} : { cacheDir }) }),
    pycacheDir: join(cacheDir ?? defaultCacheDir(), "pycache"),
  };
}

export function generateManifest(options: GenerateManifestOptions): Promise<GeneratedManifest> {
  const chosen = options.executor ?? "docker";
  const executor = typeof chosen === "string" ? createManifestExecutor(chosen, options) : chosen;
  return generateManifestWith({
    workspaceDir: options.workspaceDir,
    executor,
    ...(options.script === undefined ? {} : { script: options.script }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.retryCommand === undefined ? {} : { retryCommand: options.retryCommand }),
  });
}
