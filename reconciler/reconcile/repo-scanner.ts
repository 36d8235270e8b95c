import type { Clock, Logger, TimerHandle } from "../../core/index.js";
import { silentLogger } from "../../core/index.js";
import { causeOf } from "./errors.js";

export interface RepoScannerOptions {
  repo: string;
  /** Discovers the workspaces of `sha` and hands them to their reconcilers. */
  scan: (sha: string) => Promise<void>;
  clock: Clock;
  /** Delay before scanning the same commit again after a failure (git trouble). */
  retryAfterMs: number;
  logger?: Logger;
}

/**
 * Runs the workspace discovery of one repo, one commit at a time. Like a workspace reconciler it
 * is level-triggered: heads that arrive during a scan coalesce and only the newest is scanned next.
 */
export class RepoScanner {
  private desired: string | undefined;
  private scheduled = false;
  private queue: Promise<void> = Promise.resolve();
  private retryTimer: TimerHandle | undefined;
  private closed = false;
  private lastError: string | null = null;
  private readonly logger: Logger;

  constructor(private readonly options: RepoScannerOptions) {
    this.logger = (options.logger ?? silentLogger).child("discover").child(options.repo);
  }

  /** Why the last scan failed (null after a successful one). */
  get error(): string | null {
    return this.lastError;
  }

  request(sha: string): void {
    if (this.closed) return;
    this.desired = sha;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    if (this.scheduled) return;
    this.scheduled = true;
    this.queue = this.queue.then(async () => {
      this.scheduled = false;
      const next = this.desired;
      if (next && !this.closed) await this.runScan(next);
    });
  }

  async whenIdle(): Promise<void> {
    for (;;) {
      const current = this.queue;
      await current;
      if (current === this.queue) return;
    }
  }

  /** No scan starts after this; one in progress finishes (await `whenIdle`). */
  close(): void {
    this.closed = true;
    this.retryTimer?.cancel();
  }

  private async runScan(sha: string): Promise<void> {
    try {
      await this.options.scan(sha);
      this.lastError = null;
    } catch (error) {
      this.lastError = causeOf(error).message;
      this.logger.warn("workspace discovery failed", { commit: sha, error: this.lastError, retryInMs: this.options.retryAfterMs });
      const { clock } = this.options;
      this.retryTimer = clock.setTimer(clock.now() + this.options.retryAfterMs, () => {
        if (this.desired === sha) this.request(sha);
      });
    }
  }
}
