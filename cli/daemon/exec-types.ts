/**
 * `sluice exec` over the API: the daemon answers with where a command must run to see what a run
 * of the workspace+profile sees (the container, or with `executor: local` the venv, checkout and
 * variables); the CLI starts it (stdin/TTY attached) and tells the daemon when it has ended, so
 * a settings overlay with the secrets is removed.
 */
export interface ExecRequest {
  workspace: string;
  profile?: string;
  /** Use this job's environment (dependency groups) and its `require.profile`. */
  job?: string;
}

/** Where a command runs: a container (`executor: docker`) or a process on this machine (`executor: local`). */
export type ExecSpecView = DockerExecSpec | LocalExecSpec;

interface ExecSpecBase {
  execId: string;
  workspace: string;
  profile: string;
  /** Why this profile: `trigger` (= `--profile`), `require` (the job's) or `batch` (default `prod`). */
  profileSource: string;
  /** The command's working dir: the deployed checkout. */
  workingDir: string;
  /** The run's variables (values may be secrets: never printed). */
  env: Record<string, string>;
  /** Host data dir of the workspace+profile. */
  dataDir: string;
}

export interface DockerExecSpec extends ExecSpecBase {
  where: "docker";
  image: string;
  name: string;
  hostname: string;
  network: string;
  binds: Array<{ source: string; target: string; readOnly: boolean }>;
  tmpfs: Array<{ target: string; options: string }>;
  labels: Record<string, string>;
}

/** The CLI starts the command itself, in the checkout, with the run's venv first on its PATH and the run's variables. */
export interface LocalExecSpec extends ExecSpecBase {
  where: "local";
  /** The workspace venv's `bin` (its python, dlt and the programs its packages install). */
  bin: string;
  /** Something the user should know first (the checkout's own secrets file kept the stored one out). */
  notice?: string;
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
