/**
 * A workspace environment is the base image plus a venv (outside the workspace, at
 * /opt/sluice/venv) holding the workspace's dependencies. It is cached as the image
 * `sluice/env:<key>`, keyed by dependency content; workspace code is never baked in but
 * bind-mounted at run time (run-in-environment.ts).
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { SluiceError } from "../../core/index.js";
import type { ContainerEngine } from "../docker/index.js";
import { runOneShot } from "../docker/index.js";
import { ensureBaseImage } from "./base-image.js";
import { ContainerPaths, EnvLabel, buildEnvironment, envBuildContainerSpec, envImageChanges, envImageTag } from "./env-build-spec.js";
import { GROUPS_HELPER_FILE, checkGroupsResolvable, parseUndefinedGroups, undefinedGroupsError } from "./env-groups.js";
import type { DependencyInputs, EnvironmentBuildInfo } from "./env-key.js";
import { environmentKey, readDependencyInputs } from "./env-key.js";
import { envFileText, environmentScript, parseScriptMarkers } from "./env-script.js";
import { withFileLock } from "./file-lock.js";
import { readHostIndexSettings } from "./index-settings.js";
import { defaultCacheDir } from "./paths.js";
import type { Progress, ProgressSink } from "./progress.js";
import { createProgress } from "./progress.js";
import { createStaging, writeBuildFiles } from "./staging.js";
import { hostUvCacheDir } from "./uv-cache.js";

export interface EnsureEnvironmentOptions {
  workspaceDir: string;
  dependencyGroups?: readonly string[];
  cacheDir?: string;
  onProgress?: ProgressSink;
  /** Add the pinned fallback dlt when the dependencies do not provide it (default true). */
  ensureDlt?: boolean;
  /** Build timeout (default 30 minutes). */
  timeoutMs?: number;
}

export interface WorkspaceEnvironment extends EnvironmentBuildInfo {
  image: string;
  imageId: string;
}

const DEFAULT_BUILD_TIMEOUT_MS = 30 * 60 * 1000;

export async function ensureWorkspaceEnvironment(engine: ContainerEngine, options: EnsureEnvironmentOptions): Promise<WorkspaceEnvironment> {
  const progress = createProgress("env", options.onProgress);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const ensureDlt = options.ensureDlt ?? true;
  const inputs = await readDependencyInputs(options.workspaceDir, options.dependencyGroups ?? []);
  checkGroupsResolvable(inputs, options.workspaceDir);
  const base = await ensureBaseImage(engine, { cacheDir, onProgress: options.onProgress });
  const key = environmentKey({ inputs, base: base.imageId, ensureDlt });
  const tag = envImageTag(key);

  const reuse = async (): Promise<WorkspaceEnvironment | undefined> => {
    const image = await engine.inspectImage(tag);
    if (!image) return undefined;
    return describe(tag, image.id, key, inputs, image.labels, true, progress.elapsedSeconds());
  };
  const existing = await reuse();
  if (existing) return existing;

  return withFileLock(
    join(cacheDir, "locks", `env-${key}.lock`),
    async () => {
      const afterWait = await reuse();
      if (afterWait) return afterWait;
      progress.line(`building ${tag} (${inputs.mode}${inputs.groups.length ? `, groups: ${inputs.groups.join(", ")}` : ""})`);
      const built = await buildEnvironmentImage(engine, { workspaceDir: options.workspaceDir, tag, key, inputs, ensureDlt, cacheDir, baseTag: base.tag, baseImageId: base.imageId, progress, timeoutMs: options.timeoutMs });
      progress.line(`built ${tag}`);
      return { ...built, seconds: progress.elapsedSeconds() };
    },
    { onWait: () => progress.line(`another build of ${tag} is running; waiting for it`) },
  );
}

interface BuildRequest {
  workspaceDir: string;
  tag: string;
  key: string;
  inputs: DependencyInputs;
  ensureDlt: boolean;
  cacheDir: string;
  baseTag: string;
  baseImageId: string;
  progress: Progress;
  timeoutMs: number | undefined;
}

async function buildEnvironmentImage(engine: ContainerEngine, request: BuildRequest): Promise<WorkspaceEnvironment> {
  const { inputs, progress } = request;
  const staging = await createStaging(request.cacheDir, "env", inputs);
  try {
    const index = await readHostIndexSettings();
    const script = environmentScript({
      inputs,
      srcDir: ContainerPaths.src,
      venvDir: ContainerPaths.venv,
      python: ContainerPaths.python,
      ensureDlt: request.ensureDlt,
      envFile: `${ContainerPaths.build}/build.env`,
      groupsHelper: `${ContainerPaths.build}/${GROUPS_HELPER_FILE}`,
    });
    await writeBuildFiles(staging, { script, envFile: envFileText(buildEnvironment(index.env, index.caBundle !== undefined)), caBundle: index.caBundle });
    const spec = envBuildContainerSpec({
      baseImage: request.baseTag,
      key: request.key,
      srcDir: staging.srcDir,
      buildDir: staging.buildDir,
      uvCacheDir: await hostUvCacheDir(),
      localPaths: index.localPaths,
    });
    const result = await runOneShot(engine, spec, {
      keepContainer: true,
      timeoutMs: request.timeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS,
      onLine: (_stream, line) => {
        if (line.trim().length > 0) progress.line(line);
      },
    });
    try {
      if (result.exitCode !== 0 || result.timedOut) {
        const undefinedGroups = parseUndefinedGroups(result.stdout);
        if (undefinedGroups) throw undefinedGroupsError(undefinedGroups, request.workspaceDir);
        const tail = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-15).join("\n");
        throw new SluiceError("env_build_failed", `building the environment ${request.tag} ${result.timedOut ? "timed out" : `failed (exit ${result.exitCode})`}:\n${tail}`, {
          hint: inputs.files["uv.lock"] !== undefined ? "Check that uv.lock matches pyproject.toml (`uv lock --check`) and that the packages exist for Linux/Python 3.13." : "Check the workspace's dependency files; the output above shows uv's error.",
        });
      }
      const markers = parseScriptMarkers(result.stdout);
      const fallbackDlt = markers.fallbackDlt || inputs.mode === "fallback";
      const pythonVersion = markers.pythonVersion ?? "unknown";
      const imageId = await engine.commitContainer(result.containerId, {
        tag: request.tag,
        changes: envImageChanges({ key: request.key, groups: inputs.groups, mode: inputs.mode, pythonVersion, fallbackDlt, baseImageId: request.baseImageId }),
      });
      return { image: request.tag, imageId, key: request.key, reused: false, seconds: 0, pythonVersion, mode: inputs.mode, groups: inputs.groups, fallbackDlt };
    } finally {
      await engine.removeContainer(result.containerId, { force: true });
    }
  } finally {
    await rm(staging.root, { recursive: true, force: true });
  }
}

function describe(
  image: string,
  imageId: string,
  key: string,
  inputs: DependencyInputs,
  labels: Record<string, string>,
  reused: boolean,
  seconds: number,
): WorkspaceEnvironment {
  return {
    image,
    imageId,
    key,
    reused,
    seconds,
    pythonVersion: labels[EnvLabel.python] ?? "unknown",
    mode: inputs.mode,
    groups: inputs.groups,
    fallbackDlt: labels[EnvLabel.fallbackDlt] === "true",
  };
}
