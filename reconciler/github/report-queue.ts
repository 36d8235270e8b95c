/**
 * Delivers reports to GitHub from the durable queue in SQLite: strictly in order within a
 * stream (one check run, one PR comment), streams independent, retryable failures (network,
 * 5xx, rate limits) retried with exponential backoff for as long as it takes, other failures
 * dropped with a log line. Enqueueing is one synchronous insert, so reporting never blocks the
 * scheduler or the reconcile loop.
 */
import type { Logger } from "../../core/index.js";
import type { GitHubStore, QueuedReport } from "./github-store.js";
import type { CheckRunFields, GitHubApi } from "./octokit-adapter.js";
import { isRetryable } from "./octokit-adapter.js";

export type Report =
  /** `onlyIfNew`: dropped when the stream already has a check run (a skip never overwrites a result). */
  | { kind: "check"; fullName: string; fields: CheckRunFields; onlyIfNew?: boolean }
  | { kind: "comment"; fullName: string; pr: number; marker: string; parts: string[] }
  | { kind: "comment-outdated"; fullName: string; pr: number; marker: string; note: string };

export interface ReportQueueOptions {
  store: GitHubStore;
  api: GitHubApi;
  logger: Logger;
  /** First retry delay; doubles per attempt up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
}

export class ReportQueue {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ReportQueueOptions) {
    this.backoffMs = options.backoffMs ?? 2_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Queues a report on `stream` (delivered after every earlier report of that stream). */
  enqueue(stream: string, report: Report): void {
    this.options.store.enqueue(stream, report.kind, report);
    this.kick();
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Starts a delivery pass now (or right after the one running). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      } else this.scheduleNext();
    });
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    const heads = this.options.store.heads();
    if (heads.length === 0) return;
    const wait = Math.max(0, Math.min(...heads.map((h) => h.nextAt)) - this.now());
    this.timer = setTimeout(() => this.kick(), wait);
    this.timer.unref();
  }

  /** Delivers due stream heads until every stream is empty or waiting for its backoff. */
  private async pass(): Promise<void> {
    for (;;) {
      const due = this.options.store.heads().filter((h) => h.nextAt <= this.now());
      if (due.length === 0 || this.stopped) return;
      for (const report of due) {
        if (this.stopped) return;
        await this.deliverOne(report);
      }
    }
  }

  private async deliverOne(report: QueuedReport): Promise<void> {
    const { store, logger } = this.options;
    try {
      await this.deliver(report.stream, report.payload as Report);
      store.markDone(report.id);
    } catch (error) {
      const message = (error as Error).message;
      if (isRetryable(error)) {
        const delay = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** Math.min(report.attempts, 20));
        store.markRetry(report.id, this.now() + delay, message);
        logger.warn("github report failed; retrying", { stream: report.stream, kind: report.kind, attempt: report.attempts + 1, retryInMs: delay, error: message });
      } else {
        store.markDropped(report.id, message);
        logger.error("github report rejected; dropped", { stream: report.stream, kind: report.kind, error: message });
      }
    }
  }

  private async deliver(stream: string, report: Report): Promise<void> {
    const { api, store } = this.options;
    if (report.kind === "check") {
      const id = store.checkRunId(stream);
      if (id !== undefined && report.onlyIfNew) return;
      if (!api.canCheckRuns) {
        await api.createStatus(report.fullName, report.fields.head_sha, statusOf(report.fields));
        // statuses have no id to update; 0 marks the stream as reported
        return store.setCheckRunId(stream, 0);
      }
      if (id === undefined) store.setCheckRunId(stream, await api.createCheckRun(report.fullName, report.fields));
      else await api.updateCheckRun(report.fullName, id, report.fields);
      return;
    }
    if (report.kind === "comment") return this.upsertParts(report);
    const found = await api.findComment(report.fullName, report.pr, report.marker);
    if (found && !found.body.includes(report.note)) await api.updateComment(report.fullName, found.id, insertAfterMarker(found.body, report.marker, report.note));
  }

  /** One comment per part, each found by its own marker and updated in place. */
  private async upsertParts(report: Extract<Report, { kind: "comment" }>): Promise<void> {
    const { api } = this.options;
    for (const [index, part] of report.parts.entries()) {
      const marker = index === 0 ? report.marker : partMarker(report.marker, index + 1);
      const body = `${marker}\n${part}`;
      const found = await api.findComment(report.fullName, report.pr, marker);
      if (found) {
        if (found.body !== body) await api.updateComment(report.fullName, found.id, body);
      } else await api.createComment(report.fullName, report.pr, body);
    }
    // a shorter preview leaves an earlier extra part behind: empty it instead of leaving stale text
    const stale = partMarker(report.marker, report.parts.length + 1);
    const left = await api.findComment(report.fullName, report.pr, stale);
    const emptied = `${stale}\n_This part of the preview is no longer needed._`;
    if (left && left.body !== emptied) await api.updateComment(report.fullName, left.id, emptied);
  }
}

/** The marker of the n-th (n ≥ 2) part of a comment split to fit GitHub's size limit. */
export function partMarker(marker: string, n: number): string {
  return marker.replace(/ -->$/, ` part ${n} -->`);
}

function insertAfterMarker(body: string, marker: string, note: string): string {
  return body.startsWith(marker) ? `${marker}\n${note}\n${body.slice(marker.length).replace(/^\n/, "")}` : `${note}\n${body}`;
}

function statusOf(fields: CheckRunFields): { state: "pending" | "success" | "failure" | "error"; context: string; description: string } {
  const state = fields.status !== "completed" ? "pending" : fields.conclusion === "success" || fields.conclusion === "neutral" ? "success" : "failure";
  return { state, context: fields.name, description: fields.title };
}
