/**
 * The dashboard's state: one snapshot fetch, then the daemon's event stream keeps it current
 * (no polling). Listeners are told at most once per `batchMs`, so a burst of events is one render.
 * When the stream breaks the store shows a banner and reconnects with a bounded backoff.
 */
import type { DeploymentRecord } from "../../reconciler/history/index.js";
import type { DashboardJobView, InfoView, LogLineView, RunView } from "../daemon/runtime-types.js";
import type { DaemonEventMessage, DashboardApi } from "./api.js";

export interface LogState {
  runId: string;
  lines: LogLineView[];
  ended: boolean;
}

export interface DashboardState {
  connection: "connecting" | "live" | "down";
  /** Why the daemon is unreachable (shown in the banner). */
  problem: string | null;
  url: string;
  info: InfoView | null;
  jobs: ReadonlyMap<string, DashboardJobView>;
  /** Runs by job key, newest first (loaded when a job's runs are opened, then kept current by events). */
  runs: ReadonlyMap<string, RunView[]>;
  deployments: ReadonlyMap<string, DeploymentRecord[]>;
  logs: LogState | null;
  /** The last action's outcome (trigger, cancel, open, rollback). */
  notice: string | null;
}

export interface StoreOptions {
  batchMs?: number;
  /** Waits between reconnect attempts (the last one repeats). */
  backoffMs?: number[];
  /** Lines kept per log (older ones are dropped from the view). */
  maxLogLines?: number;
}

const RUN_EVENTS = new Set(["run.queued", "run.started", "run.finished", "run.skipped"]);
const DEPLOY_EVENTS = new Set(["deployment.applied", "deployment.failed"]);
/** A finished or skipped run can hold or release other jobs (freshness): their rows are re-read, at most once a second. */
const HOLD_EVENTS = new Set(["run.finished", "run.skipped"]);

export class DashboardStore {
  private state: DashboardState;
  private readonly listeners = new Set<() => void>();
  private flushTimer: NodeJS.Timeout | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private stream: AbortController | undefined;
  private logStream: AbortController | undefined;
  private readonly batchMs: number;
  private readonly backoffMs: number[];
  private readonly maxLogLines: number;
  private pendingLines: LogLineView[] = [];

  constructor(
    readonly api: DashboardApi,
    options: StoreOptions = {},
  ) {
    this.batchMs = options.batchMs ?? 50;
    this.backoffMs = options.backoffMs ?? [500, 1000, 2000];
    this.maxLogLines = options.maxLogLines ?? 5000;
    this.state = { connection: "connecting", problem: null, url: api.url(), info: null, jobs: new Map(), runs: new Map(), deployments: new Map(), logs: null, notice: null };
  }

  getState = (): DashboardState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Connects and keeps reconnecting until `stop()`. */
  start(): void {
    void this.connectLoop();
  }

  stop(): void {
    this.stopped = true;
    this.stream?.abort();
    this.logStream?.abort();
    for (const timer of [this.flushTimer, this.reloadTimer, this.retryTimer]) if (timer) clearTimeout(timer);
  }

  private async connectLoop(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      try {
        if (attempt > 0) await this.api.reconnect();
        await this.connectOnce();
        attempt = 1;
        if (!this.stopped) this.update({ connection: "down", problem: "the daemon closed the event stream (restarting?)" });
      } catch (error) {
        if (this.stopped) return;
        this.update({ connection: "down", problem: error instanceof Error ? error.message : String(error) });
        attempt += 1;
      }
      const wait = this.backoffMs[Math.min(attempt - 1, this.backoffMs.length - 1)] ?? 1000;
      await new Promise<void>((done) => (this.retryTimer = setTimeout(done, wait)));
    }
  }

  private async connectOnce(): Promise<void> {
    const controller = new AbortController();
    this.stream = controller;
    const events = this.api.events((event) => this.onEvent(event), controller.signal);
    events.catch(() => undefined);
    try {
      await this.reload();
      this.update({ connection: "live", problem: null, url: this.api.url() });
      await events;
    } finally {
      controller.abort(); // a failed snapshot must not leave the event stream of this attempt open
    }
  }

  /** Fetches jobs, info and the open runs/deployments lists anew. */
  async reload(): Promise<void> {
    const [jobs, info] = await Promise.all([this.api.jobs(), this.api.info()]);
    this.update({ jobs: new Map(jobs.map((job) => [job.key, job])), info });
    await Promise.all([...this.state.runs.keys()].map((key) => this.loadRuns(key)));
    await Promise.all([...this.state.deployments.keys()].map((ws) => this.loadDeployments(ws)));
  }

  async loadRuns(key: string): Promise<void> {
    const runs = await this.api.runs(key);
    this.update({ runs: new Map(this.state.runs).set(key, runs) });
  }

  async loadDeployments(workspace: string): Promise<void> {
    const list = await this.api.deployments(workspace);
    this.update({ deployments: new Map(this.state.deployments).set(workspace, list) });
  }

  /** Streams a run's log (full log of a finished run, live tail of a running one). */
  openLogs(runId: string): void {
    this.logStream?.abort();
    const controller = new AbortController();
    this.logStream = controller;
    this.pendingLines = [];
    this.update({ logs: { runId, lines: [], ended: false } });
    const onLine = (line: LogLineView) => {
      if (this.state.logs?.runId !== runId) return;
      this.pendingLines.push(line);
      this.scheduleFlush();
    };
    const ended = () => {
      if (this.logStream === controller) this.endLogs(runId);
    };
    this.api.followLogs(runId, onLine, controller.signal).then(ended, ended);
  }

  closeLogs(): void {
    this.logStream?.abort();
    this.update({ logs: null });
  }

  notify(notice: string | null): void {
    this.update({ notice });
  }

  /** Lines that arrived since the last flush join the log in one step (one render per batch). */
  private mergeLines(): void {
    const logs = this.state.logs;
    if (!logs || this.pendingLines.length === 0) return;
    const all = logs.lines.concat(this.pendingLines);
    this.pendingLines = [];
    this.state = { ...this.state, logs: { ...logs, lines: all.length > this.maxLogLines ? all.slice(-this.maxLogLines) : all } };
  }

  private endLogs(runId: string): void {
    this.mergeLines();
    const logs = this.state.logs;
    if (logs && logs.runId === runId) this.update({ logs: { ...logs, ended: true } });
  }

  /** Applies one daemon event (exposed for tests and the bench). */
  onEvent(event: DaemonEventMessage): void {
    if (RUN_EVENTS.has(event.type)) this.applyRun(event.data as RunView);
    if (DEPLOY_EVENTS.has(event.type)) this.scheduleReload(200);
    else if (HOLD_EVENTS.has(event.type)) this.scheduleReload(1000);
  }

  private applyRun(run: RunView): void {
    const job = this.state.jobs.get(run.key);
    const patch: Partial<DashboardState> = {};
    if (job && (!job.lastRun || job.lastRun.runId === run.runId || run.number >= job.lastRun.number)) {
      patch.jobs = new Map(this.state.jobs).set(run.key, { ...job, lastRun: run });
    }
    const runs = this.state.runs.get(run.key);
    if (runs) {
      const next = [run, ...runs.filter((r) => r.runId !== run.runId)].sort((a, b) => b.number - a.number);
      patch.runs = new Map(this.state.runs).set(run.key, next);
    }
    this.update(patch);
  }

  /** One re-fetch for a burst of events (the first event's delay wins). */
  private scheduleReload(delayMs: number): void {
    if (this.reloadTimer || this.stopped) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      this.reload().catch(() => undefined);
    }, delayMs);
  }

  private update(patch: Partial<DashboardState>): void {
    if (Object.keys(patch).length === 0) return;
    this.state = { ...this.state, ...patch };
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.stopped) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.mergeLines();
      for (const listener of [...this.listeners]) listener();
    }, this.batchMs);
  }
}
