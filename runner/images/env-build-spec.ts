/** Pure pieces of a containerized environment build: paths, container spec, commit changes. */
import type { BindMount, ContainerSpec } from "../docker/index.js";
import { labelChanges, managedLabels } from "../docker/index.js";
import { BASE_IMAGE_PATH } from "./base-recipe.js";
import type { EnvironmentMode } from "./env-key.js";

export const ENV_IMAGE_REPO = "sluice/env";

export const ContainerPaths = {
  venv: "/opt/sluice/venv",
  src: "/opt/sluice/src",
  build: "/opt/sluice/build",
  uvCache: "/opt/sluice/uv-cache",
  python: "/usr/bin/python3",
} as const;

export const EnvLabel = {
  key: "sluice.env.key",
  groups: "sluice.env.groups",
  mode: "sluice.env.mode",
  python: "sluice.env.python",
  fallbackDlt: "sluice.env.fallback-dlt",
  base: "sluice.env.base",
} as const;

export function envImageTag(key: string): string {
  return `${ENV_IMAGE_REPO}:${key}`;
}

export interface BuildSpecInputs {
  baseImage: string;
  key: string;
  /** Host directory with the copied dependency files (mounted read-write: uv may lock). */
  srcDir: string;
  /** Host directory with build.sh, build.env and ca.crt (mounted read-only). */
  buildDir: string;
  uvCacheDir: string;
  /** Host find-links directories, mounted read-only at the same path. */
  localPaths: string[];
}

/** Environment variables of the build, written to build.env (never into the image config). */
export function buildEnvironment(indexEnv: Record<string, string>, hasCaBundle: boolean): Record<string, string> {
  return {
    ...indexEnv,
    ...(hasCaBundle ? { SSL_CERT_FILE: `${ContainerPaths.build}/ca.crt`, UV_NATIVE_TLS: "1" } : {}),
    UV_CACHE_DIR: ContainerPaths.uvCache,
    UV_LINK_MODE: "copy",
    UV_PYTHON_DOWNLOADS: "never",
    UV_COMPILE_BYTECODE: "1",
    UV_NO_PROGRESS: "1",
  };
}

export function envBuildContainerSpec(inputs: BuildSpecInputs): ContainerSpec {
  const binds: BindMount[] = [
    { source: inputs.srcDir, target: ContainerPaths.src, readOnly: false },
    { source: inputs.buildDir, target: ContainerPaths.build, readOnly: true },
    { source: inputs.uvCacheDir, target: ContainerPaths.uvCache, readOnly: false },
    ...inputs.localPaths.map((path) => ({ source: path, target: path, readOnly: true })),
  ];
  return {
    image: inputs.baseImage,
    cmd: ["sh", `${ContainerPaths.build}/build.sh`],
    purpose: "env-build",
    labels: { [EnvLabel.key]: inputs.key },
    // Host networking: the build reaches the package index exactly as the host does.
    network: "host",
    workingDir: ContainerPaths.src,
    binds,
    init: true,
  };
}

export interface EnvImageLabels {
  key: string;
  groups: string[];
  mode: EnvironmentMode;
  pythonVersion: string;
  fallbackDlt: boolean;
  baseImageId: string;
}

export function envImageChanges(info: EnvImageLabels): string[] {
  const labels = managedLabels("workspace-env", {
    [EnvLabel.key]: info.key,
    [EnvLabel.groups]: info.groups.join(","),
    [EnvLabel.mode]: info.mode,
    [EnvLabel.python]: info.pythonVersion,
    [EnvLabel.fallbackDlt]: String(info.fallbackDlt),
    [EnvLabel.base]: info.baseImageId,
  });
  return [
    `ENV VIRTUAL_ENV=${ContainerPaths.venv}`,
    `ENV PATH=${ContainerPaths.venv}/bin:${BASE_IMAGE_PATH}`,
    "ENV PYTHONUNBUFFERED=1",
    "WORKDIR /workspace",
    'CMD ["python"]',
    ...labelChanges(labels),
  ];
}
