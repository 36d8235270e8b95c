/**
 * Dependency groups as dlt's workspace requirements manifest resolves them (docs/environments.md,
 * "Dependency groups"): a group pyproject.toml defines is synced by uv; a group dlt synthesizes
 * (the `jobs.workspace.dashboard` group of the synthesized dashboard job) gets dlt's own specs,
 * installed on top; dlt's default group `main` is the workspace's own dependencies. The decisions
 * that need pyproject.toml or dlt run inside the build, in env_groups.py (tomllib and dlt's
 * `default_requirements_manifest()`); this module writes the script lines and reads the result.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SluiceError } from "../../core/index.js";
import { EnvironmentMode, type DependencyInputs } from "./env-key.js";

export const GROUPS_HELPER_FILE = "env_groups.py";
const GROUPS_HELPER_SOURCE = fileURLToPath(new URL(`./${GROUPS_HELPER_FILE}`, import.meta.url));

/**
 * Groups dlt's requirements exporter defines in every workspace, whatever its files: `main`
 * (MAIN_GROUP) and the dashboard's group (DASHBOARD_JOB_REF), dlt/_workspace/deployment/typing.py.
 * Only used to reject early what can never resolve; the specs always come from dlt in the build.
 */
export const DLT_WORKSPACE_GROUPS = ["main", "jobs.workspace.dashboard"] as const;

/** Where the dlt-specs step writes its requirements and constraints (inside the staging src dir). */
export const DLT_GROUPS_DIR = ".sluice-dlt-groups";

export const UNDEFINED_GROUPS_MARKER = "SLUICE_UNDEFINED_GROUPS=";

export function readGroupsHelper(): string {
  return readFileSync(GROUPS_HELPER_SOURCE, "utf8");
}

/** PEP 503/735 normalization, as uv and env_groups.py compare group names. */
export function normalizeGroupName(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}

const DLT_GROUP_KEYS = new Set(DLT_WORKSPACE_GROUPS.map(normalizeGroupName));

/** Groups that can never resolve: without a pyproject `[project]` table only dlt's own groups can. */
export function unresolvableGroups(inputs: DependencyInputs): string[] {
  if (inputs.mode === EnvironmentMode.uvSync) return [];
  return inputs.groups.filter((group) => !DLT_GROUP_KEYS.has(normalizeGroupName(group)));
}

export function checkGroupsResolvable(inputs: DependencyInputs, workspaceDir: string): void {
  const bad = unresolvableGroups(inputs);
  if (bad.length === 0) return;
  throw new SluiceError("env_groups_without_pyproject", `dependency groups (${bad.join(", ")}) were requested, but ${workspaceDir} has no pyproject.toml with a [project] table`, {
    hint: `Declare the groups under [dependency-groups] in pyproject.toml, or remove them from the job's \`require.dependency_groups\` (without a pyproject only dlt's own groups resolve: ${DLT_WORKSPACE_GROUPS.join(", ")}).`,
    details: { file: join(workspaceDir, "pyproject.toml") },
  });
}

/** Names of groups the build found undefined (env_groups.py's marker line), if any. */
export function parseUndefinedGroups(stdout: string): string[] | undefined {
  const line = stdout.split("\n").find((candidate) => candidate.startsWith(UNDEFINED_GROUPS_MARKER));
  return line === undefined ? undefined : line.slice(UNDEFINED_GROUPS_MARKER.length).trim().split(",").filter(Boolean);
}

export function undefinedGroupsError(groups: string[], workspaceDir: string): SluiceError {
  return new SluiceError("env_group_undefined", `dependency group(s) ${groups.join(", ")} are defined neither in ${join(workspaceDir, "pyproject.toml")} [dependency-groups] nor by dlt (${DLT_WORKSPACE_GROUPS.join(", ")})`, {
    hint: "Declare the group under [dependency-groups] in pyproject.toml (and run `uv lock`), or remove it from the job's `require.dependency_groups`.",
    details: { groups },
  });
}
