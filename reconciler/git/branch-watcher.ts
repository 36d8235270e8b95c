import type { Clock, Logger, TimerHandle } from "../../core/index.js";
import { errorText, silentLogger } from "../../core/index.js";
import type { BranchSource } from "./sources.js";

export interface BranchHead {
  source: BranchSource;
  sha: string;
}

/** A source whose polls fail: the last error, since when, how many polls in a row. */
export interface PollFailure {
  error: string;
  sinceMs: number;
  attempts: number;
}

export interface BranchWatcherOptions {
  clock: Clock;
  intervalMs: number;
  /** Called for every head that differs from the last one seen (and once per source at start). */
  onHead: (head: BranchHead) => void;
  logger?: Logger;
}

/**
 * Polls branch heads. Level-triggered: it reports the current head, never a list of pushes,
 * so ten quick pushes between two polls are one report. `poke` is the hook for a push webhook
 * or a filesystem watcher: it polls that source now instead of waiting for the interval.
 */
export class BranchWatcher {
  private readonly sources = new Map<string, BranchSource>();
  private readonly lastHeads = new Map<string, string>();
  private readonly failures = new Map<string, PollFailure>();
  private timer: TimerHandle | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private stopped = true;
  private readonly logger: Logger;

  constructor(private readonly options: BranchWatcherOptions) {
    this.logger = (options.logger ?? silentLogger).child("branch-watcher");
  }

  add(source: BranchSource): void {
    this.sources.set(source.key, source);
  }

  remove(key: string): void {
    this.sources.delete(key);
    this.lastHeads.delete(key);
    this.failures.delete(key);
  }

  /** Why the source's polls fail, while they do (null once a poll works again). */
  failure(key: string): PollFailure | null {
    return this.failures.get(key) ?? null;
  }

  has(key: string): boolean {
    return this.sources.has(key);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.pollAll();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Polls now (all sources, or the one with `key`); resolves when that poll finished. */
  poke(_key?: string): Promise<void> {
    return this.pollAll();
  }

  /** One pass over every source. Overlapping calls are folded into one extra pass. */
  pollAll(): Promise<void> {
    if (this.polling) {
      this.pollAgain = true;
      return this.polling;
    }
    this.polling = this.runPasses().finally(() => {
      this.polling = undefined;
      this.arm();
    });
    return this.polling;
  }

  private async runPasses(): Promise<void> {
    do {
      this.pollAgain = false;
      for (const source of [...this.sources.values()]) await this.pollOne(source);
    } while (this.pollAgain);
  }

  private async pollOne(source: BranchSource): Promise<void> {
    let sha: string | null;
    try {
      sha = await source.head();
    } catch (error) {
      const previous = this.failures.get(source.key);
      const failure = { error: errorText(error), sinceMs: previous?.sinceMs ?? this.options.clock.now(), attempts: (previous?.attempts ?? 0) + 1 };
      this.failures.set(source.key, failure);
      this.logger.warn("branch poll failed", { source: source.key, error: failure.error, attempts: failure.attempts });
      return;
    }
    const recovered = this.failures.get(source.key);
    if (recovered) {
      this.failures.delete(source.key);
      this.logger.info("branch poll works again", { source: source.key, failedForMs: this.options.clock.now() - recovered.sinceMs, attempts: recovered.attempts });
    }
    if (!sha || !this.sources.has(source.key) || this.lastHeads.get(source.key) === sha) return;
    this.lastHeads.set(source.key, sha);
    this.logger.info("branch head changed", { source: source.key, sha });
    this.options.onHead({ source, sha });
  }

  private arm(): void {
    this.timer?.cancel();
    if (this.stopped) return;
    this.timer = this.options.clock.setTimer(this.options.clock.now() + this.options.intervalMs, () => void this.pollAll());
  }
}
