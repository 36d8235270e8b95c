/**
 * `sluice exec` over the API: the daemon answers with the container a command must run in to see
 * what a run of the workspace+profile sees; the CLI starts it with `docker run` (stdin/TTY attached)
 * and tells the daemon when it has ended, so the settings overlay with the secrets is removed.
 */
export interface ExecRequest {
  workspace: string;
  profile?: string;
  /** Use this job's environment (dependency groups) and its `require.profile`. */
  job?: string;
}

export interface ExecSpecView {
  execId: string;
  workspace: string;
  profile: string;
  /** Why this profile: `trigger` (= `--profile`), `require` (the job's) or `batch` (default `prod`). */
  profileSource: string;
  image: string;
  name: string;
  hostname: string;
  workingDir: string;
  network: string;
  env: Record<string, string>;
  binds: Array<{ source: string; target: string; readOnly: boolean }>;
  tmpfs: Array<{ target: string; options: string }>;
  labels: Record<string, string>;
  /** Host data dir of the workspace+profile; dlt's global dir is its `global/`. */
  dataDir: string;
}

/** `sluice exec` in a Job on the cluster (runs on Kubernetes volume claims): no TTY, no stdin. */
export interface ClusterExecView {
  execId: string;
  workspace: string;
  profile: string;
  profileSource: string;
  where: "kubernetes";
}

export interface ClusterExecEnd {
  exitCode: number | null;
  status: string;
  reason: string | null;
}

export interface ClusterExec {
  view: ClusterExecView;
  /** Every output line as it comes (from the first), then the end. */
  follow(onLine: (line: { stream: string; text: string }) => void): Promise<ClusterExecEnd>;
}

export interface ExecServices {
  /** Set when commands run in a Job on the cluster instead of a container here (`spec` then refuses). */
  runInCluster?(request: ExecRequest, command: string[]): Promise<ClusterExec>;
  /** Builds the environment if needed, stages the settings overlay; unknown/undeployed workspaces throw. */
  spec(request: ExecRequest): Promise<ExecSpecView>;
  /** Removes the overlay of `execId` (idempotent). */
  end(execId: string): void;
}
