/**
 * Turns reconcile events, webhook deliveries and failed runs into GitHub reports on the durable
 * queue: `sluice/deploy` per deployed commit, `sluice/preview` plus one sticky comment per PR,
 * `sluice/run: <job>` on failures.
 */
import type { Logger, TypedEvents } from "../../core/index.js";
import type { JobLike } from "../diff/index.js";
import type { DeploymentHistory, DeploymentRecord, RepoEntry, RepoStore } from "../history/index.js";
import type { ReconcilerEventMap } from "../reconcile/index.js";
import type { GitHubStore } from "./github-store.js";
import type { CheckRunFields } from "./octokit-adapter.js";
import type { PreviewDeps, PullRequestRef } from "./pr-preview.js";
import { fetchPullHead, previewCommit } from "./pr-preview.js";
import { OUTDATED_NOTE, previewSummary, renderPreviewComment } from "./preview-comment.js";
import { PREVIEW_MARKER, annotationsOf, diffCounts, jobRows, jobTable, splitToFit } from "./render.js";
import type { ReportQueue } from "./report-queue.js";
import type { WebhookDelivery } from "./webhook-server.js";

export const DEPLOY_CHECK = "sluice/deploy";
export const PREVIEW_CHECK = "sluice/preview";
const CHECK_TEXT_LIMIT = 65_000;

export interface GitHubReporterOptions {
  store: GitHubStore;
  queue: ReportQueue;
  repos: RepoStore;
  history: DeploymentHistory;
  events: TypedEvents<ReconcilerEventMap>;
  /** Polls the repos now (a push webhook). */
  poke: () => Promise<void>;
  preview: PreviewDeps;
  logger: Logger;
  now: () => number;
  /** Web address for file links in comments (https://github.com, or the Enterprise host). */
  serverUrl: string;
}

interface Bound {
  repo: RepoEntry;
  fullName: string;
  folder: string;
}

export class GitHubReporter {
  private readonly offs: (() => void)[] = [];
  /** PR key → the preview chain (one dry-run at a time per PR; the newest head wins). */
  private readonly previews = new Map<string, { running: Promise<void>; next: PullRequestRef | null }>();

  constructor(private readonly options: GitHubReporterOptions) {}

  start(): void {
    const { events } = this.options;
    this.offs.push(
      events.on("reconcile:started", (e) => this.deployStarted(e.workspace, e.commit)),
      events.on("reconcile:skipped", (e) => this.deploySkipped(e.workspace, e.commit, e.reason)),
      events.on("deployment:applied", (e) => this.deployFinished(e.workspace, e.deployment)),
      events.on("deployment:failed", (e) => this.deployFinished(e.workspace, e.deployment)),
    );
  }

  stop(): void {
    this.offs.splice(0).forEach((off) => off());
  }

  /** Resolves when no PR preview is running (tests, shutdown). */
  async whenIdle(): Promise<void> {
    for (;;) {
      const running = [...this.previews.values()].map((p) => p.running);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  private boundWorkspace(workspace: string): Bound | undefined {
    const entry = this.options.repos.workspace(workspace);
    const repo = entry ? this.options.repos.get(entry.repo) : undefined;
    const fullName = repo ? this.options.store.bindingOf(repo.name) : undefined;
    return repo && entry && fullName ? { repo, fullName, folder: entry.path } : undefined;
  }

  /** `sluice/deploy` for the repo's own workspace, `sluice/deploy: <workspace>` for discovered folders. */
  private deployName(bound: Bound, workspace: string): string {
    return workspace === bound.repo.name ? DEPLOY_CHECK : `${DEPLOY_CHECK}: ${workspace}`;
  }

  private deployStarted(workspace: string, sha: string): void {
    const bound = this.boundWorkspace(workspace);
    if (!bound) return;
    const fields: CheckRunFields = { name: this.deployName(bound, workspace), head_sha: sha, status: "in_progress", title: `Deploying ${workspace}`, summary: `Sluice is generating the manifest of \`${workspace}\` with dlt and applying it.` };
    this.options.queue.enqueue(`deploy:${workspace}:${sha}`, { kind: "check", fullName: bound.fullName, fields });
  }

  /** A commit that was not deployed (files unchanged, held by a rollback, same files failed before): neutral, once. */
  private deploySkipped(workspace: string, sha: string, reason: string): void {
    const bound = this.boundWorkspace(workspace);
    if (!bound) return;
    const active = this.options.history.active(workspace);
    const running = active ? `version ${active.version} (commit ${active.commit.sha.slice(0, 12)}) keeps running` : "nothing is deployed";
    const fields: CheckRunFields = { name: this.deployName(bound, workspace), head_sha: sha, status: "completed", conclusion: "neutral", title: `${workspace} not redeployed: ${reason}`.slice(0, 250), summary: `Sluice did not redeploy \`${workspace}\` for this commit: ${reason}; ${running}.` };
    this.options.queue.enqueue(`deploy:${workspace}:${sha}`, { kind: "check", fullName: bound.fullName, fields, onlyIfNew: true });
  }

  private deployFinished(workspace: string, record: DeploymentRecord): void {
    const bound = this.boundWorkspace(workspace);
    if (!bound || record.kind === "remove") return;
    const sha = record.commit.sha;
    const name = this.deployName(bound, workspace);
    const fields = record.status === "applied" ? this.successFields(name, workspace, record) : this.failureFields(name, workspace, record, bound.folder);
    this.options.queue.enqueue(`deploy:${workspace}:${sha}`, { kind: "check", fullName: bound.fullName, fields });
  }

  private successFields(name: string, workspace: string, record: DeploymentRecord): CheckRunFields {
    const jobs = ((record.manifest?.jobs as JobLike[] | undefined) ?? []).slice();
    const previous = this.options.history.list(workspace, { status: "applied", limit: 2 }).find((d) => d.id < record.id);
    const previousJobs = (previous?.manifest?.jobs as JobLike[] | undefined) ?? [];
    const diff = record.diff ?? { added: [], updated: [], unchanged: [], archived: [] };
    const table = jobTable(jobRows(diff, jobs, previousJobs, this.options.now()));
    const what = record.kind === "rollback" ? `rolled back to version ${record.rollbackToVersion}` : "deployed";
    const warnings = record.warnings.length ? `\n\n**Warnings**\n${record.warnings.map((w) => `- ${w}`).join("\n")}` : "";
    return {
      name,
      head_sha: record.commit.sha,
      status: "completed",
      conclusion: "success",
      title: `${workspace} ${what}: version ${record.version} (${diffCounts(diff)})`,
      summary: `${table}${warnings}`.slice(0, CHECK_TEXT_LIMIT),
    };
  }

  private failureFields(name: string, workspace: string, record: DeploymentRecord, folder: string): CheckRunFields {
    const cause = record.cause ?? { code: "unknown", message: "the deployment failed" };
    const active = this.options.history.active(workspace);
    const keeps = active ? `The previous deployment (version ${active.version}, commit ${active.commit.sha.slice(0, 12)}) keeps running.` : "Nothing was deployed before; no jobs run.";
    return {
      name,
      head_sha: record.commit.sha,
      status: "completed",
      conclusion: "failure",
      title: `${workspace}: ${cause.message.split("\n")[0]}`.slice(0, 250),
      summary: `**${cause.code}**: ${cause.message}\n\n${keeps}`.slice(0, CHECK_TEXT_LIMIT),
      annotations: annotationsOf(cause, folder),
    };
  }

  /** A failed run: `sluice/run: <job>` on the deployed commit, with the (already redacted) log tail. */
  runFailed(input: { workspace: string; jobRef: string; runId: string; status: string; reason: string; logTail: string }): void {
    const bound = this.boundWorkspace(input.workspace);
    const active = this.options.history.active(input.workspace);
    if (!bound || !active) return;
    const fields: CheckRunFields = {
      name: `sluice/run: ${input.jobRef}`,
      head_sha: active.commit.sha,
      status: "completed",
      conclusion: "failure",
      title: `${input.jobRef}: run ${input.runId} ${input.status}`,
      summary: `${input.reason}\n\n<details><summary>Log tail</summary>\n\n\`\`\`\n${input.logTail.slice(-60_000)}\n\`\`\`\n</details>`,
    };
    this.options.queue.enqueue(`run:${input.workspace}:${input.runId}`, { kind: "check", fullName: bound.fullName, fields });
  }

  /** A verified, first-seen webhook delivery. */
  async onWebhook(delivery: WebhookDelivery): Promise<void> {
    const repoName = ((delivery.payload.repository as { full_name?: string } | undefined)?.full_name ?? "").toString();
    const bound = this.options.store.reposOf(repoName).flatMap((name) => this.options.repos.get(name) ?? []);
    if (bound.length === 0) return this.options.logger.info("github webhook for an unbound repository ignored", { event: delivery.event, repository: repoName });
    if (delivery.event === "push") {
      const ref = String(delivery.payload.ref ?? "");
      if (bound.some((r) => ref === `refs/heads/${r.branch}`)) await this.options.poke();
      return;
    }
    if (delivery.event === "pull_request") return this.onPullRequest(repoName, bound, delivery.payload);
  }

  private onPullRequest(fullName: string, repos: RepoEntry[], payload: Record<string, unknown>): void {
    const action = String(payload.action ?? "");
    const pr = payload.pull_request as { number: number; head: { sha: string; ref: string }; base: { ref: string } } | undefined;
    if (!pr) return;
    for (const repo of repos.filter((r) => r.branch === pr.base.ref)) {
      if (action === "closed") {
        this.options.queue.enqueue(`comment:${repo.name}:${pr.number}`, { kind: "comment-outdated", fullName, pr: pr.number, marker: PREVIEW_MARKER, note: OUTDATED_NOTE });
      } else if (["opened", "synchronize", "reopened"].includes(action)) {
        this.requestPreview(repo, fullName, { number: pr.number, headSha: pr.head.sha, headRef: pr.head.ref });
      }
    }
  }

  private requestPreview(repo: RepoEntry, fullName: string, pr: PullRequestRef): void {
    const key = `${repo.name}#${pr.number}`;
    const current = this.previews.get(key);
    if (current) {
      current.next = pr;
      return;
    }
    const slot = { running: Promise.resolve(), next: pr as PullRequestRef | null };
    slot.running = (async () => {
      while (slot.next) {
        const ref = slot.next;
        slot.next = null;
        await this.runPreview(repo, fullName, ref).catch((error: unknown) => this.options.logger.error("pull request preview failed", { repo: repo.name, pr: ref.number, error: String(error) }));
      }
      this.previews.delete(key);
    })();
    this.previews.set(key, slot);
  }

  private async runPreview(repo: RepoEntry, fullName: string, pr: PullRequestRef): Promise<void> {
    const { queue, preview } = this.options;
    const stream = `preview:${repo.name}:${pr.number}:${pr.headSha}`;
    const base = { name: PREVIEW_CHECK, head_sha: pr.headSha };
    queue.enqueue(stream, { kind: "check", fullName, fields: { ...base, status: "in_progress", title: "Dry-run of this pull request", summary: "Generating the manifest with dlt and diffing it against what is deployed." } });
    const { gitDir, sha } = await fetchPullHead(preview, repo, pr);
    const previews = await previewCommit(preview, repo, gitDir, sha);
    const parts = renderPreviewComment({ fullName, serverUrl: this.options.serverUrl, pr: pr.number, sha, branch: repo.branch, previews, nowMs: this.options.now() });
    const failed = previews.filter((p) => !p.result.ok);
    const annotations = failed.flatMap((p) => (p.result.ok ? [] : p.result.annotations));
    const summary = splitToFit(parts.join("\n"), CHECK_TEXT_LIMIT)[0] ?? "";
    const title = failed.length ? `Manifest invalid: ${previewSummary(failed)}`.slice(0, 250) : `Would deploy: ${previewSummary(previews)}`.slice(0, 250);
    queue.enqueue(stream, { kind: "check", fullName, fields: { ...base, status: "completed", conclusion: failed.length ? "failure" : "success", title, summary, annotations } });
    queue.enqueue(`comment:${repo.name}:${pr.number}`, { kind: "comment", fullName, pr: pr.number, marker: PREVIEW_MARKER, parts });
  }
}
