/**
 * The daemon's GitHub side: `repo add --github` bindings around the GitOps service, and failed
 * runs from the event hub turned into `sluice/run: <job>` reports.
 */
import { SluiceError } from "../../core/index.js";
import type { GitHubReporter, GitHubStore } from "../../reconciler/github/index.js";
import { FULL_NAME_RE, githubFullNameOf } from "../../reconciler/github/index.js";
import type { AddRepoInput, RepoStatus } from "../../reconciler/reconcile/index.js";
import type { EventHub } from "./event-hub.js";
import type { RuntimeServices, RunView } from "./runtime-types.js";
import type { DaemonServices } from "./services.js";

/** Repo status with its GitHub binding (`repo list --output json`). */
export type BoundRepoStatus = RepoStatus & { github: string | null };

export function withGitHubBindings(services: DaemonServices, store: GitHubStore): DaemonServices {
  const withBinding = (status: RepoStatus): BoundRepoStatus => ({ ...status, github: store.bindingOf(status.repo.name) ?? null });
  return {
    ...services,
    poke: () => services.poke(),
    listRepos: () => services.listRepos().map(withBinding),
    repoStatus: (name) => withBinding(services.repoStatus(name)),
    deployments: (workspace, limit) => services.deployments(workspace, limit),
    rollback: (workspace, to) => services.rollback(workspace, to),
    async addRepo(input: AddRepoInput) {
      const fullName = input.github ?? (input.url ? githubFullNameOf(input.url) : null);
      if (fullName !== null && !FULL_NAME_RE.test(fullName)) {
        throw new SluiceError("bad_request", `--github must be <owner>/<repo>, got '${fullName}'.`, { hint: "For example: --github acme/pipelines" });
      }
      const result = await services.addRepo(input);
      if (fullName) store.bind(result.repo.name, fullName);
      return { ...result, ...(fullName ? { github: fullName } : {}) };
    },
    async removeRepo(name) {
      const result = await services.removeRepo(name);
      store.unbind(name);
      return result;
    },
  };
}

const FAILED = new Set(["failed", "timed_out"]);
const TAIL_LINES = 60;

/** Reports every failed or timed-out run; the log store keeps lines redacted, so the tail is too. */
export function reportFailedRuns(hub: EventHub, reporter: GitHubReporter, services: () => RuntimeServices | undefined): () => void {
  return hub.subscribe((event) => {
    if (event.type !== "run.finished") return;
    const run = event.data as RunView & { outcome?: string };
    if (!FAILED.has(run.outcome ?? run.status) || !run.workspace) return;
    const lines = services()?.logs(run.runId, 0) ?? [];
    const tail = lines.slice(-TAIL_LINES).map((l) => l.text).join("\n");
    const reason = run.reason ?? `exit code ${run.exitCode ?? "unknown"}`;
    reporter.runFailed({ workspace: run.workspace, jobRef: run.job, runId: run.runId, status: run.outcome ?? run.status, reason: String(reason), logTail: tail });
  });
}
