/**
 * Which workspace profile a run uses (cli-surface.md §3): an explicit per-trigger profile, then
 * `require.profile`, then `prod` for batch and `access` for interactive jobs — falling back to
 * `prod` when the workspace has no `access` configuration.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

export const Profile = { prod: "prod", access: "access" } as const;

export type ProfileSource = "trigger" | "require" | "batch" | "interactive" | "access-fallback";

export interface ResolvedProfile {
  profile: string;
  source: ProfileSource;
}

export interface ProfileInputs {
  /** Interactive jobs (`@run.interactive`, marimo, MCP, streamlit, dashboard) default to `access`. */
  interactive: boolean;
  /** The job's `require.profile`. */
  required?: string;
  /** `trigger --profile P`: wins over everything. */
  override?: string;
  /** Whether `profile` has configuration for this workspace (files in `.dlt/` or the secret store). */
  isConfigured: (profile: string) => boolean;
}

export function resolveProfile(inputs: ProfileInputs): ResolvedProfile {
  if (inputs.override) return { profile: inputs.override, source: "trigger" };
  const required = inputs.required;
  if (required) return { profile: required, source: "require" };
  if (!inputs.interactive) return { profile: Profile.prod, source: "batch" };
  if (inputs.isConfigured(Profile.access)) return { profile: Profile.access, source: "interactive" };
  return { profile: Profile.prod, source: "access-fallback" };
}

/** A profile is configured when `.dlt/<p>.config.toml` or `.dlt/<p>.secrets.toml` exists in the checkout, or the secret store has it. */
export function profileConfigured(workspaceDir: string, hasStoredSecrets: (profile: string) => boolean): (profile: string) => boolean {
  return (profile) =>
    existsSync(join(workspaceDir, ".dlt", `${profile}.config.toml`)) ||
    existsSync(join(workspaceDir, ".dlt", `${profile}.secrets.toml`)) ||
    hasStoredSecrets(profile);
}
