/**
 * Everything about one run that does not depend on how it is executed: profile, runtime entry
 * point, environment, secrets file, persistent data directory, limits and labels.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { profileConfigured, resolveProfile, type ProfileSource } from "../profiles/index.js";
import { createRedactor, secretValuesOf, type Redactor, type SecretStore } from "../secrets/index.js";
import { buildRuntimeEntryPoint, intervalEnv, type RunArgs, type RuntimeEntryPoint } from "./entry-point.js";
import { isInteractive, type RunnableJob } from "./job-shape.js";
import { machineLimits, runTimeLimits, type MachineSpec, type MachineTable, type RunTimeLimits } from "./limits.js";

export interface WorkspaceRef {
  name: string;
  /** Checkout of the deployed commit (workspace root: holds `.dlt/` and `__deployment__.py`). */
  dir: string;
  deploymentVersion?: number | string;
}

export interface RunRequest {
  runId: string;
  trigger: string;
  refresh: boolean;
  interval?: { startMs: number; endMs: number };
  config?: Record<string, unknown>;
  /** `trigger --profile P`. */
  profileOverride?: string;
  runArgs?: RunArgs;
}

export interface PrepareContext {
  secretStore: SecretStore;
  /** Root of the persistent per-workspace, per-profile data directories. */
  dataRoot: string;
  machines?: MachineTable;
}

export interface PreparedRun {
  runId: string;
  trigger: string;
  job: RunnableJob;
  workspace: WorkspaceRef;
  interactive: boolean;
  profile: string;
  profileSource: ProfileSource;
  entryPoint: RuntimeEntryPoint;
  /** Environment every executor sets (paths of data dirs are added by the executor). */
  env: Record<string, string>;
  /** Stored `<profile>.secrets.toml` of this workspace, if any. */
  secretsFile?: string;
  redact: Redactor;
  /** Host directory kept across runs of this workspace+profile (DuckDB files, pipeline state). */
  dataDir: string;
  /**
   * Set for readers (interactive runs, see workspace-data.ts): they see a snapshot of another
   * profile's data instead of `dataDir` — `local` read-only, `var` a private writable copy.
   */
  dataView?: DataView;
  limits: RunTimeLimits;
  machine: MachineSpec;
  labels: Record<string, string>;
}

export interface DataView {
  /** Host dir mounted as DLT_DATA_DIR (pipelines' working dirs): a private copy, writable. */
  var: string;
  /** Host dir mounted read-only as DLT_LOCAL_DIR (DuckDB files) — a snapshot's. */
  local: string;
  /** The snapshot read, `<dataRoot>/<workspace>/<profile>.snapshot/<n>`; absent when there was no data yet. */
  snapshot?: string;
}

export const RunLabel = {
  runId: "sluice.run-id",
  jobRef: "sluice.job-ref",
  workspace: "sluice.workspace",
  deploymentVersion: "sluice.deployment-version",
  profile: "sluice.profile",
  startedMs: "sluice.started-ms",
  timeoutMs: "sluice.timeout-ms",
  graceMs: "sluice.grace-ms",
  /** Snapshot a reader's container mounts (kept while the container lives, also across a restart). */
  dataSnapshot: "sluice.data-snapshot",
  /** Which Sluice (home) owns the container; set by the Docker executor when given an `instance`. */
  instance: "sluice.instance",
} as const;

export const RUN_PURPOSE = "run";

/** Variables every run (and `sluice exec`) of a workspace+profile has. */
export function baseRunEnv(profile: string): Record<string, string> {
  return { PYTHONUNBUFFERED: "1", WORKSPACE__PROFILE: profile };
}

/**
 * The host directory kept across runs (and `sluice exec`) of one workspace+profile:
 * `var` (DLT_DATA_DIR), `local` (DLT_LOCAL_DIR) and `global` (dlt's global dir: the anonymous id
 * and the global `secrets.toml` a self-issued trial licence is written to).
 */
export function ensureWorkspaceDataDir(dataRoot: string, workspace: string, profile: string): string {
  const dataDir = join(dataRoot, workspace, profile);
  for (const sub of ["var", "local", "global"]) mkdirSync(join(dataDir, sub), { recursive: true });
  return dataDir;
}

export function prepareRun(job: RunnableJob, workspace: WorkspaceRef, request: RunRequest, context: PrepareContext, nowMs: number): PreparedRun {
  const interactive = isInteractive(job);
  const { profile, source } = resolveProfile({
    interactive,
    required: job.require?.profile,
    override: request.profileOverride,
    isConfigured: profileConfigured(workspace.dir, (candidate) => context.secretStore.has(workspace.name, candidate)),
  });
  const machine = machineLimits(job, context.machines ?? {});
  const limits = runTimeLimits(job);
  const inputs = { ...request, profile };
  const entryPoint = buildRuntimeEntryPoint(job, inputs);
  const secretsFile = context.secretStore.pathOf(workspace.name, profile);
  const secretText = context.secretStore.read(workspace.name, profile);
  const dataDir = ensureWorkspaceDataDir(context.dataRoot, workspace.name, profile);
  const labels: Record<string, string> = {
    [RunLabel.runId]: request.runId,
    [RunLabel.jobRef]: job.job_ref,
    [RunLabel.workspace]: workspace.name,
    [RunLabel.profile]: profile,
    [RunLabel.startedMs]: String(nowMs),
    [RunLabel.graceMs]: String(limits.graceMs),
  };
  if (workspace.deploymentVersion !== undefined) labels[RunLabel.deploymentVersion] = String(workspace.deploymentVersion);
  if (limits.timeoutMs !== undefined) labels[RunLabel.timeoutMs] = String(limits.timeoutMs);
  return {
    runId: request.runId,
    trigger: request.trigger,
    job,
    workspace,
    interactive,
    profile,
    profileSource: source,
    entryPoint,
    env: { ...baseRunEnv(profile), ...intervalEnv(job, inputs) },
    ...(secretsFile ? { secretsFile } : {}),
    redact: createRedactor(secretText ? secretValuesOf(secretText) : []),
    dataDir,
    limits,
    machine,
    labels,
  };
}
