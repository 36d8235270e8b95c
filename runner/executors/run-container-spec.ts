/**
 * The container of one run, as a pure function of the prepared run: image of the job's
 * environment, launcher argv, environment, mounts (read-only workspace, settings overlay with
 * the secrets, persistent data dir), labels, init, network, limits and published port.
 */
import type { ContainerSpec, ResourceLimits } from "../docker/index.js";
import { launcherArgv } from "./entry-point.js";
import { RUN_PURPOSE, type PreparedRun } from "./prepare-run.js";

export const RunPaths = {
  workspace: "/workspace",
  settings: "/workspace/.dlt",
  data: "/sluice/data",
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

export function buildRunContainerSpec(run: PreparedRun, options: RunContainerOptions): RunContainerSpec {
  const binds: NonNullable<ContainerSpec["binds"]> = [
    { source: run.workspace.dir, target: RunPaths.workspace, readOnly: true },
    { source: run.dataDir, target: RunPaths.data, readOnly: false },
  ];
  if (options.settingsDir) binds.push({ source: options.settingsDir, target: RunPaths.settings, readOnly: true });
  const spec: RunContainerSpec = {
    image: options.image,
    cmd: launcherArgv(options.python, run.entryPoint, run),
    purpose: RUN_PURPOSE,
    name: runContainerName(run.runId),
    env: {
      ...run.env,
      PYTHONDONTWRITEBYTECODE: "1",
      DLT_DATA_DIR: `${RunPaths.data}/var`,
      DLT_LOCAL_DIR: `${RunPaths.data}/local`,
    },
    workingDir: RunPaths.workspace,
    network: options.network,
    binds,
    tmpfs: [{ target: RunPaths.scratch, options: `rw,exec,nosuid,nodev,size=${options.scratchSize ?? "512m"}` }],
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
