/**
 * What the runtime half of the API (jobs, runs, logs, deploys of local directories) answers.
 * JSON shapes are part of the `--output json` contract; instants are ISO-8601 UTC strings.
 */
import type { DeploymentDiff } from "../../reconciler/diff/index.js";
import type { FailureCause } from "../../reconciler/history/index.js";
import type { ExecServices } from "./exec-types.js";

export interface RunView {
  runId: string;
  /** The job's own run number (1, 2, 3 …). */
  number: number;
  job: string;
  /** dlt's job ref (`jobs.<section>.<name>`). */
  jobRef: string;
  /** `<workspace>/<job_ref>`: names the job across workspaces. */
  key: string;
  workspace: string | null;
  /** The profile the run was asked for (`trigger --profile`); null = the job's own. */
  profile: string | null;
  trigger: string;
  status: string;
  reason: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  intervalStart: string | null;
  intervalEnd: string | null;
  refresh: boolean;
  exitCode: number | null;
  cancelCause: string | null;
  /** Where the run's process ran, as its executor reported it (container, or pod and node); null before it started or when unknown. */
  where: string | null;
}

export interface JobView {
  /** dlt's job ref (`jobs.<section>.<name>`). */
  jobRef: string;
  /** `<workspace>/<job_ref>`: names the job across workspaces. */
  key: string;
  name: string;
  workspace: string | null;
  type: string;
  triggers: string[];
  defaultTrigger: string | null;
  nextFire: string | null;
  lastRun: RunView | null;
}

/** One job as the dashboard shows it (`GET /v1/dashboard/jobs`): active and archived jobs. */
export interface DashboardJobView extends JobView {
  /** `expose.display_name`, else null. */
  displayName: string | null;
  timezone: string;
  tags: string[];
  /** The declared triggers in words (schemas/humanize.ts). */
  humanTriggers: string[];
  /** Edges into this job: `success`/`fail` follow-ups and `fresh` (job.is_fresh) constraints, by upstream key. */
  upstreams: Array<{ key: string; kind: "success" | "fail" | "fresh" }>;
  /** Why the job waits right now (freshness, concurrency, window), null when it does not. */
  held: string | null;
  archived: boolean;
}

export interface JobInfoView extends JobView {
  description: string | null;
  timezone: string;
  humanTriggers: Array<{ trigger: string; text: string }>;
  nextFires: Array<{ utc: string; local: string; trigger: string }>;
  waiting: Array<{ kind: string; reason: string; since: string }>;
  runs: RunView[];
}

export interface TriggerInput {
  selectors: string[];
  /** Only these job keys among the matched jobs (e.g. run-pipeline's one job). */
  only?: string[];
  refresh?: boolean;
  profile?: string;
  dryRun?: boolean;
}

export interface TriggerView {
  dryRun: boolean;
  /** `jobRef` is dlt's ref, `key` the `<workspace>/<job_ref>` that names the job across workspaces. */
  selected: Array<{ jobRef: string; key: string; workspace: string | null; trigger: string | null }>;
  /** Keys of the jobs that will run after the selected ones through job.success/job.fail triggers. */
  followUps: string[];
  runs: RunView[];
  warnings: Array<{ jobRef: string; message: string }>;
  cleared: string[];
}

export interface WorkspaceInfo {
  name: string;
  source: string;
  status: string;
  message: string | null;
  version: number | null;
  commit: string | null;
  deployedAt: string | null;
  jobs: number;
  latestDeployment: { status: string; version: number | null; commit: string; at: string; cause: FailureCause | null } | null;
}

export interface InfoView {
  daemon: { version: string; url: string; executor: string; proxyUrl: string | null; dltVersions: string[] };
  workspaces: WorkspaceInfo[];
  latestRuns: RunView[];
}

export interface DeployDirInput {
  dir: string;
  workspace?: string;
  /** Ad-hoc: generate for this script only (dlt's use_all=False). */
  script?: string;
  dryRun?: boolean;
  showManifest?: boolean;
}

export interface DeployDirView {
  workspace: string;
  dryRun: boolean;
  changed: boolean;
  version: number | null;
  diff: DeploymentDiff | null;
  /** Expanded manifest (only with showManifest). */
  manifest?: Record<string, unknown>;
  warnings: string[];
  /** Ad-hoc deploys: the refs of the script's own jobs (the other active jobs stay as they are). */
  scriptJobs?: string[];
}

export interface LogLineView {
  seq: number;
  time: string;
  stream: string;
  text: string;
}

/**
 * Which workspace bare job names resolve in: `workspace` restricts (the CLI's `-w`),
 * `defaultWorkspace` only breaks ties between workspaces (the folder the CLI runs in).
 */
export interface JobScope {
  workspace?: string | undefined;
  defaultWorkspace?: string | undefined;
}

export interface RuntimeServices {
  listJobs(selectors: string[], scope?: JobScope): JobView[];
  /** Every active and archived job with tags, edges and holds (the dashboard's one fetch). */
  dashboardJobs(): DashboardJobView[];
  jobInfo(name: string, scope?: JobScope): JobInfoView;
  trigger(input: TriggerInput, scope?: JobScope): TriggerView;
  /** Runs, newest first: of every job, or of the jobs the selectors (names or patterns) match. */
  runs(filter: { job?: string; selectors?: string[]; limit: number }, scope?: JobScope): RunView[];
  run(runId: string): RunView;
  /** The run `runId`, run `number` of `job`, or the latest started run of `job`. */
  resolveRun(input: { job?: string; runId?: string; number?: number }, scope?: JobScope): RunView;
  /** Cancels one run (a no-op on a finished run, which is returned as it is). */
  cancelRun(runId: string): RunView;
  /** Stored lines after `afterSeq`; `follow` then streams new lines until the run's log ends. */
  logs(runId: string, afterSeq: number): LogLineView[];
  followLogs(runId: string, onLine: (line: LogLineView) => void, onEnd: () => void): () => void;
  cancel(selectors: string[], dryRun: boolean, scope?: JobScope): RunView[];
  info(): InfoView;
  deployDir(input: DeployDirInput): Promise<DeployDirView>;
  serve(job: string, scope?: JobScope): Promise<{ url: string; jobRef: string; workspace: string; runId?: string; number?: number }>;
  /** `sluice exec` (absent when the composition root does not offer it). */
  exec?: ExecServices;
}
