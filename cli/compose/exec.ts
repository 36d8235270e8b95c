/**
 * The daemon side of `sluice exec`: finds the deployed checkout of a workspace, makes sure its
 * environment exists (the image, or with `executor: local` the host venv, that its runs use) and
 * stages where the command runs with the same code as runs: the exec container's spec
 * (`prepareExec`), or the local run's variables and placed secrets (`localRunVariables`).
 * Overlays of sessions whose CLI never ended them are swept after a day.
 */
import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import type { Clock, Logger } from "../../core/index.js";
import { SluiceError } from "../../core/index.js";
import type { SchedulerDeploymentTarget } from "../../reconciler/apply/index.js";
import type { DeploymentHistory } from "../../reconciler/history/index.js";
import { createDockerodeEngine, type ContainerEngine } from "../../runner/docker/index.js";
import type { PrepareContext } from "../../runner/executors/index.js";
import { asRunnableJob, Launcher, localRunVariables, placeSecretsFile, prepareExec, prepareRun, removeExecOverlay, sweepExecOverlays, venvBinOf, type PreparedRun, type SupervisedRun } from "../../runner/executors/index.js";
import type { LogStore } from "../../runner/logs/index.js";
import { ensureWorkspaceEnvironment } from "../../runner/images/index.js";
import { shortJobName } from "../../runner/scheduler/index.js";
import type { ClusterExec, DockerExecSpec, ExecRequest, ExecServices, LocalExecSpec } from "../daemon/exec-types.js";

export interface ExecOptions {
  /** Where runs run: a command must run there too (local: in the run's host venv, from `pythonFor`). */
  executor: { kind: "docker" } | { kind: "local"; pythonFor(run: PreparedRun): Promise<string> };
  /**
   * Runs go to Kubernetes with their data on volume claims (`kubernetes.storageClass`): an exec
   * container on this machine would see none of that data, nor dlt's global dir of the runs, so
   * the command runs in a Job on the cluster (`RunStarter.execInCluster`).
   */
  cluster?: { start(run: PreparedRun, command: string[]): Promise<SupervisedRun>; logStore: LogStore };
  target: SchedulerDeploymentTarget;
  history: DeploymentHistory;
  context: PrepareContext;
  home: string;
  network: "bridge" | "host" | "none";
  env: Record<string, string>;
  clock: Clock;
  logger: Logger;
}

const STALE_OVERLAY_MS = 24 * 60 * 60 * 1000;

export function createExecServices(options: ExecOptions): ExecServices {
  const { cluster, executor } = options;
  const overlayRoot = join(options.home, "overlays");
  // the daemon's Docker engine, for exec containers (created at the first)
  let engine: ContainerEngine | undefined;
  return {
    async spec(request) {
      if (cluster) {
        throw new SluiceError("exec_in_cluster", "This daemon runs `sluice exec` commands in a Job on its Kubernetes cluster (its runs keep their data on volume claims), not in a local Docker container: there is no docker command line to show or run.", {
          hint: "Run the command without --dry-run; it runs in the cluster without a terminal or stdin (docs/kubernetes.md, \"sluice exec\").",
        });
      }
      if (executor.kind === "local") return localSpec(options, executor.pythonFor, request);
      engine ??= createDockerodeEngine();
      return dockerSpec(options, engine, overlayRoot, request);
    },
    ...(cluster ? { runInCluster: (request: ExecRequest, command: string[]) => runInCluster(options, cluster, request, command) } : {}),
    end(execId) {
      try {
        removeExecOverlay(overlayRoot, execId);
      } catch (error) {
        throw new SluiceError("bad_request", error instanceof Error ? error.message : String(error));
      }
    },
  };
}

/** The exec container: the workspace's environment image (built if needed) and the run container's mounts and variables. */
async function dockerSpec(options: ExecOptions, engine: ContainerEngine, overlayRoot: string, request: ExecRequest): Promise<DockerExecSpec> {
  const deployed = deployedWorkspace(options, request.workspace);
  const job = request.job ? findDeployedJob(deployed.jobs, request.job, request.workspace) : undefined;
  sweepExecOverlays(overlayRoot, options.clock.now(), STALE_OVERLAY_MS);
  const environment = await ensureWorkspaceEnvironment(engine, {
    workspaceDir: deployed.checkoutDir,
    dependencyGroups: job?.require?.dependency_groups ?? [],
    onProgress: (line) => options.logger.debug("environment", { line }),
  });
  const spec = prepareExec({
    execId: newExecId(),
    workspace: workspaceRefOf(deployed),
    ...(request.profile ? { profile: request.profile } : {}),
    ...(job?.require?.profile ? { requiredProfile: job.require.profile } : {}),
    image: environment.image,
    network: options.network,
    extraEnv: options.env,
    secretStore: options.context.secretStore,
    dataRoot: options.context.dataRoot,
    overlayRoot,
  });
  options.logger.info("exec session staged", { execId: spec.execId, workspace: spec.workspace, profile: spec.profile });
  return { where: "docker", ...spec };
}

/**
 * `executor: local`: what a local run of the workspace+profile gets (runner/executors/local-executor.ts):
 * its host venv (built if needed), the checkout as working dir, the stored secrets placed in its
 * `.dlt/`, the run's variables and data dirs. The CLI starts the command with them.
 */
async function localSpec(options: ExecOptions, pythonFor: (run: PreparedRun) => Promise<string>, request: ExecRequest): Promise<LocalExecSpec> {
  const run = execRun(options, request, newExecId());
  const python = await pythonFor(run);
  const bin = venvBinOf(python);
  const unplaced = placeSecretsFile(run);
  if (unplaced) options.logger.warn(unplaced, { workspace: run.workspace.name, profile: run.profile });
  options.logger.info("exec session staged", { execId: run.runId, workspace: run.workspace.name, profile: run.profile, where: "local" });
  return {
    where: "local",
    execId: run.runId,
    workspace: run.workspace.name,
    profile: run.profile,
    profileSource: run.profileSource,
    workingDir: run.workspace.dir,
    // runs.env under the run's own, as the run starter gives runs (withEnv)
    env: { ...options.env, ...localRunVariables(run, bin) },
    dataDir: run.dataDir,
    bin: bin ?? dirname(python),
    ...(unplaced ? { notice: unplaced } : {}),
  };
}

/** A run of the workspace+profile for the command: the job's (`--job`) or EXEC_JOB, profile `--profile`, else the job's require.profile, else prod. */
function execRun(options: ExecOptions, request: ExecRequest, execId: string): PreparedRun {
  const deployed = deployedWorkspace(options, request.workspace);
  const job = request.job ? findDeployedJob(deployed.jobs, request.job, request.workspace) : EXEC_JOB;
  const runRequest = { runId: execId, trigger: "exec", refresh: false, ...(request.profile ? { profileOverride: request.profile } : {}) };
  return prepareRun(job, workspaceRefOf(deployed), runRequest, options.context, options.clock.now());
}

const newExecId = () => `exec-${randomUUID().slice(0, 12)}`;

function workspaceRefOf(deployed: { workspace: string; checkoutDir: string; version: number | null }) {
  return { name: deployed.workspace, dir: deployed.checkoutDir, ...(deployed.version === null ? {} : { deploymentVersion: deployed.version }) };
}

/** The command as a run of the workspace+profile (same image, claims, settings Secret, host name), followed from its first line. */
async function runInCluster(options: ExecOptions, cluster: NonNullable<ExecOptions["cluster"]>, request: ExecRequest, command: string[]): Promise<ClusterExec> {
  if (command.length === 0) throw new SluiceError("bad_request", "'argv' must name a command.");
  const run = execRun(options, request, newExecId());
  const execId = run.runId;
  const lines: Array<{ stream: string; text: string }> = [];
  let deliver: ((line: { stream: string; text: string }) => void) | undefined;
  const unsubscribe = cluster.logStore.subscribe(execId, { onLine: (line) => (deliver ? deliver(line) : lines.push(line)) });
  // `cluster.start` adds runs.env as for every run (RunStarter.execInCluster)
  const supervised = await cluster.start(run, command).catch((error: unknown) => {
    unsubscribe();
    throw error;
  });
  options.logger.info("exec started on the cluster", { execId, workspace: run.workspace.name, profile: run.profile });
  return {
    view: { execId, workspace: run.workspace.name, profile: run.profile, profileSource: run.profileSource, where: "kubernetes" },
    async follow(onLine) {
      for (const line of lines.splice(0)) onLine(line);
      deliver = onLine;
      const outcome = await supervised.outcome;
      unsubscribe();
      cluster.logStore.remove(execId);
      return { exitCode: outcome.exitCode, status: outcome.status, reason: outcome.reason };
    },
  };
}

/** The job an exec without `--job` runs as: the workspace's default environment, profile `prod` unless `--profile`. */
const EXEC_JOB = asRunnableJob({ job_ref: "jobs.exec", entry_point: { module: "exec", function: null, job_type: "batch", launcher: Launcher.job } });

function deployedWorkspace(options: ExecOptions, name: string) {
  const deployed = options.target.get(name);
  if (deployed) return deployed;
  const known = [...new Set([...options.target.deployed().map((d) => d.workspace), ...options.history.listStates().map((s) => s.workspace)])].sort();
  const state = options.history.getState(name);
  if (state) {
    throw new SluiceError("workspace_not_deployed", `Workspace '${name}' has no active deployment (status: ${state.status}).`, {
      hint: `\`sluice info\` shows why; \`sluice deployments ${name}\` lists its deployments.`,
    });
  }
  throw new SluiceError("workspace_unknown", `No workspace '${name}'.`, {
    hint: known.length > 0 ? `Known workspaces: ${known.join(", ")}.` : "No workspace is deployed yet: push one to a repo (`sluice repo add`) or `sluice deploy <dir>`.",
  });
}

function findDeployedJob(jobs: ReadonlyArray<{ job_ref: string }>, name: string, workspace: string) {
  const found = jobs.find((job) => job.job_ref === name || shortJobName(job.job_ref) === name);
  if (!found) {
    throw new SluiceError("job_not_found", `Workspace '${workspace}' has no job '${name}'.`, { hint: `Its jobs: ${jobs.map((j) => shortJobName(j.job_ref)).join(", ") || "none"}.` });
  }
  return asRunnableJob(found as unknown as Readonly<Record<string, unknown>>);
}
