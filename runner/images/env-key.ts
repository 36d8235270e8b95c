/**
 * What a workspace environment depends on, and the content key derived from it. The key covers
 * the dependency files' contents, the requested groups, the interpreter base and the build
 * recipe — never the commit — so a code-only change reuses the environment.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

export const DEPENDENCY_FILES = ["pyproject.toml", "uv.lock", "requirements.txt", "requirements.in"] as const;
export type DependencyFile = (typeof DEPENDENCY_FILES)[number];

/** Installed when the workspace declares no dependencies, or when its environment lacks dlt. */
export const FALLBACK_DLT_SPEC = "dlt[workspace]==1.26.0";

/** Bump when the build script (env-script.ts) changes in a way that changes environments. */
export const ENV_RECIPE_REVISION = 1;

export const EnvironmentMode = {
  uvSync: "uv-sync",
  requirementsTxt: "requirements-txt",
  requirementsIn: "requirements-in",
  fallback: "fallback",
} as const;
export type EnvironmentMode = (typeof EnvironmentMode)[keyof typeof EnvironmentMode];

export interface DependencyInputs {
  /** File name → content, for the dependency files that exist. */
  files: Partial<Record<DependencyFile, string>>;
  mode: EnvironmentMode;
  /** Requested dependency groups, sorted and de-duplicated. */
  groups: string[];
}

/** What every built or reused environment reports, image-based or host venv. */
export interface EnvironmentBuildInfo {
  /** Content hash of what the environment depends on (not the commit). */
  key: string;
  reused: boolean;
  seconds: number;
  pythonVersion: string;
  mode: EnvironmentMode;
  groups: string[];
  /** True when Sluice added its pinned dlt because the dependencies did not provide one. */
  fallbackDlt: boolean;
}

export function normalizeGroups(groups: readonly string[]): string[] {
  return [...new Set(groups.map((group) => group.trim()).filter((group) => group.length > 0))].sort();
}

export function chooseMode(files: Partial<Record<DependencyFile, string>>): EnvironmentMode {
  // uv sync needs a [project] table; a pyproject.toml holding only tool settings does not count.
  if (files["pyproject.toml"] !== undefined && /^\s*\[project\]\s*$/m.test(files["pyproject.toml"])) return EnvironmentMode.uvSync;
  if (files["requirements.txt"] !== undefined) return EnvironmentMode.requirementsTxt;
  if (files["requirements.in"] !== undefined) return EnvironmentMode.requirementsIn;
  return EnvironmentMode.fallback;
}

export async function readDependencyInputs(workspaceDir: string, groups: readonly string[]): Promise<DependencyInputs> {
  const files: Partial<Record<DependencyFile, string>> = {};
  for (const name of DEPENDENCY_FILES) {
    const content = await readFile(join(workspaceDir, name), "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (content !== undefined) files[name] = content;
  }
  return { files, mode: chooseMode(files), groups: normalizeGroups(groups) };
}

export interface KeyInputs {
  inputs: DependencyInputs;
  /** Base image id (containers) or host interpreter identity (host venvs). */
  base: string;
  ensureDlt: boolean;
}

export function environmentKey({ inputs, base, ensureDlt }: KeyInputs): string {
  const sha = (text: string) => createHash("sha256").update(text).digest("hex");
  const files = Object.fromEntries(DEPENDENCY_FILES.map((name) => [name, inputs.files[name] === undefined ? null : sha(inputs.files[name])]));
  const material = {
    revision: ENV_RECIPE_REVISION,
    files,
    mode: inputs.mode,
    groups: normalizeGroups(inputs.groups),
    base,
    // Without dependency files the fallback dlt is installed anyway, so the flag makes no difference.
    ensureDlt: inputs.mode === EnvironmentMode.fallback ? true : ensureDlt,
    fallback: FALLBACK_DLT_SPEC,
  };
  return sha(JSON.stringify(material)).slice(0, 16);
}
