/**
 * `sluice exec`: the container a command runs in so that it sees exactly what a run of the same
 * workspace+profile sees (same image, checkout, settings overlay with the stored secrets, data
 * dir, dlt global dir, host name, environment, network), built by the same code as run
 * containers (`workspaceContainerBase`). The caller starts it (the CLI, with `docker run`) and
 * removes the overlay with `removeExecOverlay` when the command has ended.
 */
import { readdirSync, statSync } from "node:fs";
import { managedLabels } from "../docker/index.js";
import { profileConfigured, resolveProfile, type ProfileSource } from "../profiles/index.js";
import { createSettingsOverlay, overlayDirOf, removeSettingsOverlay, type SecretStore } from "../secrets/index.js";
import { baseRunEnv, ensureWorkspaceDataDir, RunLabel, type WorkspaceRef } from "./prepare-run.js";
import { workspaceContainerBase, type WorkspaceContainerBase } from "./run-container-spec.js";

export const EXEC_PURPOSE = "exec";
const EXEC_PREFIX = "exec-";

export interface ExecSpecInput {
  /** `exec-…`: names the settings overlay and the container. */
  execId: string;
  workspace: WorkspaceRef;
  /** `--profile P`; otherwise the job's `require.profile`, otherwise `prod` (as for batch runs). */
  profile?: string;
  requiredProfile?: string;
  image: string;
  network: "none" | "host" | "bridge";
  /** Extra run environment (sluice.yaml `runs.env`), under the run's own variables. */
  extraEnv?: Record<string, string>;
  secretStore: SecretStore;
  dataRoot: string;
  overlayRoot: string;
}

export interface ExecSpec extends WorkspaceContainerBase {
  execId: string;
  workspace: string;
  profile: string;
  profileSource: ProfileSource;
  image: string;
  /** Container name: `sluice-<execId>`. */
  name: string;
  labels: Record<string, string>;
  /** The host data dir of the workspace+profile (its `global/` is dlt's global dir). */
  dataDir: string;
}

export function prepareExec(input: ExecSpecInput): ExecSpec {
  if (!input.execId.startsWith(EXEC_PREFIX)) throw new Error(`exec ids start with '${EXEC_PREFIX}': ${input.execId}`);
  const { workspace, secretStore } = input;
  const { profile, source } = resolveProfile({
    interactive: false,
    required: input.requiredProfile,
    override: input.profile,
    isConfigured: profileConfigured(workspace.dir, (candidate) => secretStore.has(workspace.name, candidate)),
  });
  const dataDir = ensureWorkspaceDataDir(input.dataRoot, workspace.name, profile);
  const secretsFile = secretStore.pathOf(workspace.name, profile);
  const overlay = createSettingsOverlay({ root: input.overlayRoot, runId: input.execId, workspaceDir: workspace.dir, profile, ...(secretsFile ? { secretsFile } : {}) });
  const base = workspaceContainerBase({
    workspace: workspace.name,
    profile,
    workspaceDir: workspace.dir,
    dataDir,
    env: { ...input.extraEnv, ...baseRunEnv(profile) },
    network: input.network,
    ...(overlay ? { settingsDir: overlay.dir } : {}),
  });
  const labels = managedLabels(EXEC_PURPOSE, { [RunLabel.workspace]: workspace.name, [RunLabel.profile]: profile });
  if (workspace.deploymentVersion !== undefined) labels[RunLabel.deploymentVersion] = String(workspace.deploymentVersion);
  return { ...base, execId: input.execId, workspace: workspace.name, profile, profileSource: source, image: input.image, name: `sluice-${input.execId}`, labels, dataDir };
}

export function removeExecOverlay(overlayRoot: string, execId: string): void {
  if (!execId.startsWith(EXEC_PREFIX) || execId.includes("/") || execId.includes("..")) throw new Error(`not an exec id: ${execId}`);
  removeSettingsOverlay(overlayRoot, execId);
}

/** Overlays of exec sessions whose CLI never came back (killed terminal): removed after `maxAgeMs`. */
export function sweepExecOverlays(overlayRoot: string, nowMs: number, maxAgeMs: number): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(overlayRoot);
  } catch {
    return 0;
  }
  for (const name of names.filter((n) => n.startsWith(EXEC_PREFIX))) {
    if (nowMs - statSync(overlayDirOf(overlayRoot, name)).mtimeMs < maxAgeMs) continue;
    removeSettingsOverlay(overlayRoot, name);
    removed += 1;
  }
  return removed;
}
