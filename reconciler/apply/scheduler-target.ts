/**
 * The reconciler's DeploymentTarget over the scheduler. The scheduler holds ONE set of active
 * jobs for the whole daemon (its deploy archives every job missing from the manifest it gets),
 * so this adapter keeps the active jobs per workspace and always deploys the union. Each job
 * is annotated with its workspace (`sluice_workspace`), so the scheduler keys it as
 * `<workspace>/<job_ref>` and resolves its `job.*` references inside that workspace: two
 * workspaces may hold the same ref (dlt adds `jobs.workspace.dashboard` to every one). An
 * apply is all-or-nothing: every job is compiled before the scheduler sees anything; the
 * scheduler writes the deploy in one transaction and fires `deployment:` triggers after it.
 */
import { SluiceError, errorText } from "../../core/index.js";
import type { JobDefinition, Scheduler } from "../../runner/scheduler/index.js";
import { compileJob, keyOfDefinition, type DeployChange } from "../../runner/scheduler/index.js";
import { splitJobKey } from "../../schemas/index.js";
import type { ApplyRequest, DeploymentTarget } from "../reconcile/index.js";

/** What runs of a workspace's jobs need: where its deployed code is and which version. */
export interface DeployedWorkspace {
  workspace: string;
  checkoutDir: string;
  version: number | null;
  commit: string;
  /** The manifest's jobs, as dlt wrote them (refs unscoped). */
  jobs: JobDefinition[];
  /** job_ref → hash, as dlt computed them. */
  jobHashes: Record<string, string>;
}

export interface SchedulerTargetOptions {
  scheduler: Scheduler;
  /** Called after each successful apply with the scheduler's own change list (refs are job keys). */
  onApplied?: (workspace: string, changes: DeployChange[]) => void;
}

export class SchedulerDeploymentTarget implements DeploymentTarget {
  private readonly workspaces = new Map<string, DeployedWorkspace>();
  /** Last deployment of every workspace ever seen: in-flight runs of archived jobs still need their checkout. */
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
        deploymentScope: scopedJobs(entry).map(keyOfDefinition),
      });
      this.options.onApplied?.(request.workspace, result.changes.filter((c) => splitJobKey(c.jobRef).workspace === request.workspace));
    } catch (error) {
      this.forget(request.workspace);
      if (previous) this.remember(previous);
      throw error;
    }
  }

  /** Every check `apply` makes (dry runs), without touching the scheduler. */
  check(workspace: string, jobs: readonly JobDefinition[], jobHashes: Readonly<Record<string, string>>): void {
    this.preflight({ workspace, checkoutDir: "", version: null, commit: "", jobs: [...jobs], jobHashes: { ...jobHashes } });
  }

  /** The workspace of a job key (for the executor) — archived jobs keep their last one. */
  workspaceOfJob(key: string): DeployedWorkspace | undefined {
    const owner = splitJobKey(key).workspace;
    return owner === null ? undefined : (this.workspaces.get(owner) ?? this.lastSeen.get(owner));
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
      try {
        compileJob(job, entry.jobHashes[job.job_ref] ?? "");
      } catch (error) {
        problems.push(`${job.job_ref}: ${errorText(error)}`);
      }
    }
    if (problems.length > 0) {
      throw new SluiceError("apply_rejected", `The scheduler cannot take the deployment of '${entry.workspace}':\n${problems.map((p) => `  ${p}`).join("\n")}`, {
        hint: "Fix the jobs named above in the workspace and push (or deploy) again.",
      });
    }
  }

  private remember(entry: DeployedWorkspace): void {
    this.workspaces.set(entry.workspace, entry);
    this.lastSeen.set(entry.workspace, entry);
  }

  private forget(workspace: string): void {
    this.workspaces.delete(workspace);
  }

  private unionJobs(): JobDefinition[] {
    return [...this.workspaces.values()].flatMap(scopedJobs);
  }

  /** Hashes by job key. */
  private unionHashes(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const entry of this.workspaces.values()) {
      for (const job of scopedJobs(entry)) {
        const hash = entry.jobHashes[job.job_ref];
        if (hash !== undefined) out[keyOfDefinition(job)] = hash;
      }
    }
    return out;
  }
}

/** The workspace's jobs annotated with it: the scheduler keys and scopes them by it. */
function scopedJobs(entry: DeployedWorkspace): JobDefinition[] {
  return entry.jobs.map((job) => ({ ...job, sluice_workspace: entry.workspace }));
}
