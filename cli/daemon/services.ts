import type { DeploymentRecord } from "../../reconciler/history/index.js";
import type { AddRepoInput, AddRepoResult, RemoveRepoResult, RepoStatus } from "../../reconciler/reconcile/index.js";

/** What the HTTP API calls. GitOpsService implements it; tests may pass any implementation. */
export interface DaemonServices {
  listRepos(): RepoStatus[];
  repoStatus(name: string): RepoStatus;
  addRepo(input: AddRepoInput): Promise<AddRepoResult>;
  /** Archives the jobs of every workspace the repo feeds and forgets them (history is kept). */
  removeRepo(name: string): Promise<RemoveRepoResult>;
  /** Polls the watched branches now (push webhook hook). */
  poke(): Promise<void>;
  deployments(workspace: string, limit?: number): DeploymentRecord[];
  rollback(workspace: string, toVersion?: number): Promise<DeploymentRecord>;
}
