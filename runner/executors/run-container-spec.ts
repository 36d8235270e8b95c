/**
 * The container of one run, as a pure function of the prepared run: image of the job's
 * environment, launcher argv, environment, mounts (read-only workspace, settings overlay with
 * the secrets, persistent data dir, dlt's global dir), labels, init, network, limits and published port.
 */
import { join } from "node:path";
import { SluiceError } from "../../core/index.js";
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
  /** Holds the `sitecustomize.py` that keeps services on loopback under host networking (loopback-bind.ts). */
  loopbackBind: "/sluice/loopback-bind",
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
  /** Host port for interactive services under `bridge` (default `run_args.port`); the container listens on `run_args.port`. */
  hostPort?: number;
  scratchSize?: string;
  /** Host dir with the loopback `sitecustomize.py` (`ensureLoopbackBindDir`), mounted into interactive runs under `host`. */
  loopbackBindDir?: string;
}

/**
 * Run ids count from run-1 in every home, so a Sluice with an instance (its home) puts it in the
 * name: two homes on one engine never collide (a stopped daemon leaves its containers behind).
 */
export function runContainerName(runId: string, instance?: string): string {
  return instance ? `sluice-run-${instance}-${runId}` : `sluice-run-${runId}`;
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
  if (run.dataView) {
    // a reader: a private copy of the snapshot's pipelines over `var`, the snapshot's DuckDB files read-only over `local`
    spec.binds = [...(spec.binds ?? []), { source: run.dataView.var, target: `${RunPaths.data}/var`, readOnly: false }, { source: run.dataView.local, target: `${RunPaths.data}/local`, readOnly: true }];
  }
  const port = run.entryPoint.run_args?.port;
  if (run.interactive && port !== undefined) reachService(spec, run, port, options);
  const resources: ResourceLimits = {};
  if (run.machine.cpus !== undefined) resources.nanoCpus = Math.round(run.machine.cpus * 1e9);
  if (run.machine.memoryMb !== undefined) resources.memoryBytes = run.machine.memoryMb * 1024 * 1024;
  if (Object.keys(resources).length > 0) spec.resources = resources;
  return spec;
}

/**
 * How the proxy reaches an interactive service under each `runs.network`: `bridge` publishes its
 * port on 127.0.0.1 only; `host` shares the host's network, where the service binds `port` itself
 * and a `sitecustomize` turns the launchers' wildcard binds into loopback ones; `none` is refused.
 */
function reachService(spec: RunContainerSpec, run: PreparedRun, port: number, options: RunContainerOptions): void {
  assertServiceReachable(run, options.network);
  if (options.network === "bridge") {
    spec.publish = [{ hostIp: "127.0.0.1", hostPort: options.hostPort ?? port, containerPort: port }];
    return;
  }
  if (options.hostPort !== undefined && options.hostPort !== port) {
    throw new SluiceError("interactive_port_mismatch", `With runs.network: host the service of ${run.job.job_ref} listens on the host's port ${port}; host port ${options.hostPort} cannot be mapped.`, {
      hint: "Leave the host port to the run's own `run_args.port` under host networking.",
    });
  }
  if (!options.loopbackBindDir) return;
  spec.binds = [...(spec.binds ?? []), { source: options.loopbackBindDir, target: RunPaths.loopbackBind, readOnly: true }];
  const inherited = spec.env?.PYTHONPATH;
  spec.env = { ...spec.env, PYTHONPATH: inherited ? `${RunPaths.loopbackBind}:${inherited}` : RunPaths.loopbackBind };
}

/** Refuses an interactive run under `runs.network: none`: nothing outside its container could reach the service. */
export function assertServiceReachable(run: PreparedRun, network: "none" | "host" | "bridge"): void {
  if (!run.interactive || network !== "none") return;
  throw new SluiceError("interactive_network_none", `Interactive job ${run.job.job_ref} cannot be served with runs.network: none: no process outside its container could reach its port.`, {
    hint: "Set `runs.network` in sluice.yaml to `bridge` (the service is published on 127.0.0.1) or `host` (it listens on the host's loopback), then restart the daemon.",
  });
}
