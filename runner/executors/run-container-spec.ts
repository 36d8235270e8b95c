/**
 * The container of one run, as a pure function of the prepared run: image of the job's
 * environment, launcher argv, environment, mounts (read-only workspace, settings overlay with
 * the secrets, persistent data dir, dlt's global dir), labels, init, network, limits and published port.
 */
import { join } from "node:path";
import type { ContainerSpec, ResourceLimits } from "../docker/index.js";
import { launcherArgv } from "./entry-point.js";
import { RUN_PURPOSE, type PreparedRun } from "./prepare-run.js";

export const RunPaths = {
  workspace: "/workspace",
  settings: "/workspace/.dlt",
  data: "/sluice/data",
  /**
   * dlt's global dir (anonymous id, global `secrets.toml` with a self-issued trial licence). dlt
   * 1.26 has no variable for it: for root, which run containers are, it is `/var/dlt`
   * (`dlt/common/runtime/run_context.py`, `global_dir()`).
   */
  dltGlobal: "/var/dlt",
  scratch: "/tmp",
} as const;

/** The docker adapter's spec; kept as its own name for readers of this folder. */
export type RunContainerSpec = ContainerSpec;

export interface RunContainerOptions {
  image: string;
  /** Python of the environment's venv inside the image. */
  python: string;
  network: "none" | "host" | "bridge";
  /** Host directory mounted over `/workspace/.dlt` (settings overlay with secrets). */
  settingsDir?: string;
  /** Host port for interactive services; the container listens on `run_args.port`. */
  hostPort?: number;
  scratchSize?: string;
}

export function runContainerName(runId: string): string {
  return `sluice-run-${runId}`;
}

/** What a container of one workspace+profile sees, shared by runs and `sluice exec`. */
export interface WorkspaceContainerInput {
  workspace: string;
  profile: string;
  /** Checkout of the deployed commit. */
  workspaceDir: string;
  /** `ensureWorkspaceDataDir(...)`: holds `var`, `local` and `global`. */
  dataDir: string;
  env: Record<string, string>;
  network: "none" | "host" | "bridge";
  settingsDir?: string;
  scratchSize?: string;
}

export type WorkspaceContainerBase = Required<Pick<ContainerSpec, "env" | "workingDir" | "network" | "binds" | "tmpfs" | "hostname">>;

/**
 * Mounts (read-only checkout, settings overlay, data dir, dlt's global dir), environment, working
 * dir, network and host name. The host name is fixed per workspace+profile because a self-issued
 * dlt trial licence is bound to the host name and the anonymous id in the global dir.
 */
export function workspaceContainerBase(input: WorkspaceContainerInput): WorkspaceContainerBase {
  const binds: NonNullable<ContainerSpec["binds"]> = [
    { source: input.workspaceDir, target: RunPaths.workspace, readOnly: true },
    { source: input.dataDir, target: RunPaths.data, readOnly: false },
    { source: join(input.dataDir, "global"), target: RunPaths.dltGlobal, readOnly: false },
  ];
  if (input.settingsDir) binds.push({ source: input.settingsDir, target: RunPaths.settings, readOnly: true });
  return {
    env: {
      ...input.env,
      PYTHONDONTWRITEBYTECODE: "1",
      DLT_DATA_DIR: `${RunPaths.data}/var`,
      DLT_LOCAL_DIR: `${RunPaths.data}/local`,
    },
    workingDir: RunPaths.workspace,
    network: input.network,
    binds,
    tmpfs: [{ target: RunPaths.scratch, options: `rw,exec,nosuid,nodev,size=${input.scratchSize ?? "512m"}` }],
    hostname: workspaceHostname(input.workspace, input.profile),
  };
}

/** `sluice-<workspace>-<profile>` as a valid host name (lowercase letters, digits, '-', ≤ 63). */
export function workspaceHostname(workspace: string, profile: string): string {
  const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return `sluice-${slug(workspace)}-${slug(profile)}`.slice(0, 63).replace(/-+$/, "");
}

export function buildRunContainerSpec(run: PreparedRun, options: RunContainerOptions): RunContainerSpec {
  const base = workspaceContainerBase({
    workspace: run.workspace.name,
    profile: run.profile,
    workspaceDir: run.workspace.dir,
    dataDir: run.dataDir,
    env: run.env,
    network: options.network,
    ...(options.settingsDir ? { settingsDir: options.settingsDir } : {}),
    ...(options.scratchSize ? { scratchSize: options.scratchSize } : {}),
  });
  const spec: RunContainerSpec = {
    image: options.image,
    cmd: launcherArgv(options.python, run.entryPoint, run),
    purpose: RUN_PURPOSE,
    name: runContainerName(run.runId),
    ...base,
    labels: { ...run.labels },
    init: true,
    autoRemove: false,
  };
  const port = run.entryPoint.run_args?.port;
  if (options.hostPort !== undefined && port !== undefined) {
    spec.publish = [{ hostIp: "127.0.0.1", hostPort: options.hostPort, containerPort: port }];
    // a service is reached through its loopback-published port, which needs the bridge: with
    // `none` nothing could reach it, and `host` would expose the launcher's 0.0.0.0 bind
    spec.network = "bridge";
  }
  const resources: ResourceLimits = {};
  if (run.machine.cpus !== undefined) resources.nanoCpus = Math.round(run.machine.cpus * 1e9);
  if (run.machine.memoryMb !== undefined) resources.memoryBytes = run.machine.memoryMb * 1024 * 1024;
  if (Object.keys(resources).length > 0) spec.resources = resources;
  return spec;
}
