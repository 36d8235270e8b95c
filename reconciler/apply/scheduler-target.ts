/**
 * The reconciler's DeploymentTarget over the scheduler. The scheduler holds ONE set of active
 * jobs for the whole daemon (its deploy archives every job missing from the manifest it gets),
 * so this adapter keeps the active jobs per workspace and always deploys the union. An apply
 * is all-or-nothing: every job is compiled and the refs are checked for clashes with other
 * workspaces before the scheduler sees anything; the scheduler writes the deploy in one
 * transaction and fires `deployment:` triggers after it.
 */
import { SluiceError, errorText } from "../../core/index.js";
import type { JobDefinition, Scheduler } from "../../runner/scheduler/index.js";
import { compileJob, type DeployChange } from "../../runner/scheduler/index.js";
import type { ApplyRequest, DeploymentTarget } from "../reconcile/index.js";

/** What runs of a workspace's jobs need: where its deployed code is and which version. */
export interface DeployedWorkspace {
  workspace: string;
  checkoutDir: string;
  version: number | null;
  commit: string;
  jobs: JobDefinition[];
  jobHashes: Record<string, string>;
}

export interface SchedulerTargetOptions {
  scheduler: Scheduler;
  /** Called after each successful apply with the scheduler's own change list. */
  onApplied?: (workspace: string, changes: DeployChange[]) => void;
}

export class SchedulerDeploymentTarget implements DeploymentTarget {
  private readonly workspaces = new Map<string, DeployedWorkspace>();
  private readonly owners = new Map<string, string>();
  /** Last owner of every ref ever deployed: in-flight runs of archived jobs still need their checkout. */
  private readonly lastOwner = new Map<string, string>();
  private readonly lastSeen = new Map<string, DeployedWorkspace>();

  constructor(private readonly options: SchedulerTargetOptions) {}

  /**
   * Boot: the active deployments from the history, so that the first apply after a restart
   * deploys the union again and never archives another workspace's jobs.
   */
  restore(deployed: readonly DeployedWorkspace[]): void {
    for (const entry of deployed) this.remember(entry);
  }

  async apply(request: ApplyRequest): Promise<void> {
    const entry: DeployedWorkspace = {
      workspace: request.workspace,
      checkoutDir: request.checkoutDir,
      version: request.version,
      commit: request.commit.sha,
      jobs: request.kind === "remove" ? [] : (request.manifest.jobs as JobDefinition[]),
      jobHashes: request.jobHashes,
    };
    this.preflight(entry);
    const previous = this.workspaces.get(request.workspace);
    // runs started by `deployment:` triggers inside deploy() must already see the new checkout
    this.forget(request.workspace);
    this.remember(entry);
    try {
      const result = this.options.scheduler.deploy({
        manifest: { jobs: this.unionJobs() },
        jobHashes: this.unionHashes(),
        deploymentScope: entry.jobs.map((j) => j.job_ref),
      });
      const mine = new Set([...entry.jobs.map((j) => j.job_ref), ...(previous?.jobs.map((j) => j.job_ref) ?? [])]);
      this.options.onApplied?.(request.workspace, result.changes.filter((c) => mine.has(c.jobRef)));
    } catch (error) {
      this.forget(request.workspace);
      if (previous) this.remember(previous);
      throw error;
    }
  }

  /** The workspace a job belongs to (for the executor) — archived jobs keep their last one. */
  workspaceOfJob(jobRef: string): DeployedWorkspace | undefined {
    const owner = this.owners.get(jobRef) ?? this.lastOwner.get(jobRef);
    return owner ? (this.workspaces.get(owner) ?? this.lastSeen.get(owner)) : undefined;
  }

  deployed(): DeployedWorkspace[] {
    return [...this.workspaces.values()];
  }

  get(workspace: string): DeployedWorkspace | undefined {
    return this.workspaces.get(workspace);
  }

  private preflight(entry: DeployedWorkspace): void {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const job of entry.jobs) {
      if (seen.has(job.job_ref)) problems.push(`${job.job_ref}: listed twice`);
      seen.add(job.job_ref);
      const owner = this.owners.get(job.job_ref);
      if (owner && owner !== entry.workspace) problems.push(`${job.job_ref}: already deployed by workspace '${owner}'`);
      try {
        compileJob(job, entry.jobHashes[job.job_ref] ?? "");
      } catch (error) {
        problems.push(`${job.job_ref}: ${errorText(error)}`);
      }
    }
    if (problems.length > 0) {
      throw new SluiceError("apply_rejected", `The scheduler cannot take the deployment of '${entry.workspace}':\n${problems.map((p) => `  ${p}`).join("\n")}`, {
        hint: "Job refs must be unique across workspaces; rename the job (or its module) and push again.",
      });
    }
  }

  private remember(entry: DeployedWorkspace): void {
    this.workspaces.set(entry.workspace, entry);
    this.lastSeen.set(entry.workspace, entry);
    for (const job of entry.jobs) {
      this.owners.set(job.job_ref, entry.workspace);
      this.lastOwner.set(job.job_ref, entry.workspace);
    }
  }

  private forget(workspace: string): void {
    const entry = this.workspaces.get(workspace);
    if (!entry) return;
    for (const job of entry.jobs) if (this.owners.get(job.job_ref) === workspace) this.owners.delete(job.job_ref);
    this.workspaces.delete(workspace);
  }

  private unionJobs(): JobDefinition[] {
    return [...this.workspaces.values()].flatMap((w) => w.jobs);
  }

  private unionHashes(): Record<string, string> {
    return Object.assign({}, ...[...this.workspaces.values()].map((w) => w.jobHashes)) as Record<string, string>;
  }
}
