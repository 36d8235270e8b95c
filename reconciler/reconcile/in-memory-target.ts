import type { JobLike } from "../diff/index.js";
import type { ApplyRequest, DeploymentTarget } from "./ports.js";

export interface InMemoryDeployment {
  version: number | null;
  commit: string;
  checkoutDir: string;
  jobs: Map<string, JobLike>;
  archived: Set<string>;
}

/**
 * A complete (if volatile) deployment target: keeps the active jobs per workspace and applies
 * diffs all-or-nothing. Used by tests and by the daemon until the scheduler's apply API is wired.
 */
export class InMemoryDeploymentTarget implements DeploymentTarget {
  readonly applied: ApplyRequest[] = [];
  private readonly state = new Map<string, InMemoryDeployment>();

  /** Optional gate a test can use to hold or fail an apply. */
  constructor(private readonly beforeApply: (request: ApplyRequest) => Promise<void> | void = () => {}) {}

  async apply(request: ApplyRequest): Promise<void> {
    await this.beforeApply(request);
    const current = this.state.get(request.workspace);
    const jobs = new Map(current?.jobs ?? []);
    const archived = new Set(current?.archived ?? []);
    const byRef = new Map(request.manifest.jobs.map((job) => [job.job_ref, job]));
    for (const change of [...request.diff.added, ...request.diff.updated, ...request.diff.unchanged]) {
      const job = byRef.get(change.jobRef);
      if (!job) throw new Error(`diff names '${change.jobRef}' but the manifest has no such job`);
      jobs.set(change.jobRef, job);
      archived.delete(change.jobRef);
    }
    for (const change of request.diff.archived) {
      jobs.delete(change.jobRef);
      archived.add(change.jobRef);
    }
    this.state.set(request.workspace, { version: request.version, commit: request.commit.sha, checkoutDir: request.checkoutDir, jobs, archived });
    this.applied.push(request);
  }

  active(workspace: string): InMemoryDeployment | undefined {
    return this.state.get(workspace);
  }
}
