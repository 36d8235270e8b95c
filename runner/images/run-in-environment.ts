/**
 * Runs a command in a workspace environment with the workspace's code bind-mounted at
 * /workspace (read-only by default). dlt 1.26 notices a read-only workspace by itself and puts
 * its data and local dirs under `tempfile.gettempdir()/dlt/...` (dlt/_workspace/run_context.py,
 * `default_working_dir`), so the only thing it needs is a writable /tmp: a size-limited tmpfs
 * that disappears with the container. Verified by test/images.test.ts.
 */
import type { BindMount, ContainerEngine, ContainerSpec, OutputStreamName } from "../docker/index.js";
import type { OneShotResult } from "../docker/index.js";
import { runOneShot } from "../docker/index.js";

export const WORKSPACE_MOUNT = "/workspace";

export const SCRATCH_DIR = "/tmp";

export function workspaceMountSpec(workspaceDir: string, options: { readOnly?: boolean } = {}): BindMount {
  return { source: workspaceDir, target: WORKSPACE_MOUNT, readOnly: options.readOnly ?? true };
}

export interface EnvironmentRunSpec {
  /** Environment image (`sluice/env:<key>`). */
  image: string;
  workspaceDir: string;
  cmd: string[];
  network: "none" | "host";
  readOnlyWorkspace?: boolean;
  env?: Record<string, string>;
  timeoutMs?: number;
  purpose?: string;
  labels?: Record<string, string>;
  /** Size of the writable scratch tmpfs at /tmp (default 512m). */
  scratchSize?: string;
}

export function environmentContainerSpec(spec: EnvironmentRunSpec): ContainerSpec {
  const readOnly = spec.readOnlyWorkspace ?? true;
  return {
    image: spec.image,
    cmd: spec.cmd,
    purpose: spec.purpose ?? "workspace-run",
    labels: spec.labels ?? {},
    network: spec.network,
    workingDir: WORKSPACE_MOUNT,
    binds: [workspaceMountSpec(spec.workspaceDir, { readOnly })],
    tmpfs: [{ target: SCRATCH_DIR, options: `rw,exec,nosuid,nodev,size=${spec.scratchSize ?? "512m"}` }],
    env: {
      PYTHONDONTWRITEBYTECODE: "1",
      PYTHONUNBUFFERED: "1",
      ...spec.env,
    },
    init: true,
  };
}

export function runInEnvironment(
  engine: ContainerEngine,
  spec: EnvironmentRunSpec,
  options: { onLine?: (stream: OutputStreamName, line: string) => void } = {},
): Promise<OneShotResult> {
  return runOneShot(engine, environmentContainerSpec(spec), { timeoutMs: spec.timeoutMs, onLine: options.onLine });
}
