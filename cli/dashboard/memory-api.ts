/**
 * The dashboard's API over in-memory data: the component tests and bench/dashboard.ts drive the
 * dashboard with it (the tmux test in test/dashboard-tmux.test.ts uses a real daemon). It records
 * every action and lets a caller push daemon events, stream log lines and take the daemon down.
 */
import type { DeploymentRecord } from "../../reconciler/history/index.js";
import type { DashboardJobView, InfoView, LogLineView, RunView, TriggerView } from "../daemon/runtime-types.js";
import type { DaemonEventMessage, DashboardApi } from "./api.js";

export class InMemoryDashboardApi implements DashboardApi {
  jobList: DashboardJobView[] = [];
  infoView: InfoView = { daemon: { version: "0.1.0", url: "http://127.0.0.1:7070", executor: "docker", proxyUrl: null, dltVersions: [] }, workspaces: [], latestRuns: [] };
  runsByJob = new Map<string, RunView[]>();
  deploymentsByWorkspace = new Map<string, DeploymentRecord[]>();
  logLines = new Map<string, LogLineView[]>();
  /** Runs whose log has ended: `followLogs` sends their stored lines and returns, as the daemon does. */
  finishedRuns = new Set<string>();
  /** Selector → keys answered by `select`. */
  selections = new Map<string, string[]>();
  readonly calls: Array<{ action: string; args: unknown[] }> = [];
  /** While true every request fails as if the daemon were gone. */
  down = false;
  reconnects = 0;
  /** The next this-many `jobs()` calls fail (a daemon that answers the stream but not the snapshot). */
  failJobs = 0;
  private eventListeners = new Set<(event: DaemonEventMessage) => void>();
  private endStreams = new Set<() => void>();
  private logListeners = new Map<string, Set<(line: LogLineView) => void>>();

  url = () => this.infoView.daemon.url;
  jobs = async () => {
    if (this.failJobs > 0) {
      this.failJobs -= 1;
      throw new Error("the daemon answered 500");
    }
    return this.guard(structuredClone(this.jobList));
  };
  /** Event streams currently open. */
  get openEventStreams(): number {
    return this.eventListeners.size;
  }
  info = async () => this.guard(this.infoView);
  runs = async (key: string) => this.guard(this.runsByJob.get(key) ?? []);
  deployments = async (workspace: string) => this.guard(this.deploymentsByWorkspace.get(workspace) ?? []);
  select = async (selector: string) => this.guard(this.selections.get(selector) ?? []);

  async trigger(key: string, refresh: boolean): Promise<TriggerView> {
    this.record("trigger", key, refresh);
    const job = this.jobList.find((j) => j.key === key);
    const number = (job?.lastRun?.number ?? 0) + 1;
    const run = makeRun(key, number, "pending", { refresh, trigger: "manual" });
    return { dryRun: false, selected: [], followUps: [], runs: [run], warnings: [], cleared: [] };
  }
  async cancel(runId: string): Promise<RunView> {
    this.record("cancel", runId);
    const run = [...this.runsByJob.values()].flat().find((r) => r.runId === runId) ?? this.jobList.find((j) => j.lastRun?.runId === runId)?.lastRun;
    return { ...(run ?? makeRun("x", 1, "cancelled")), status: "cancelled" };
  }
  async serve(key: string): Promise<{ url: string }> {
    this.record("serve", key);
    return { url: `http://127.0.0.1:7071/w/${key.replace("/", "/jobs/")}/` };
  }
  async rollback(workspace: string, version: number): Promise<DeploymentRecord> {
    this.record("rollback", workspace, version);
    const list = this.deploymentsByWorkspace.get(workspace) ?? [];
    const base = list.find((d) => d.version === version) ?? list[0];
    return { ...(base as DeploymentRecord), version: (list[0]?.version ?? 0) + 1, rollbackToVersion: version };
  }

  followLogs(runId: string, onLine: (line: LogLineView) => void, signal: AbortSignal): Promise<void> {
    for (const line of this.logLines.get(runId) ?? []) onLine(line);
    if (this.finishedRuns.has(runId)) return Promise.resolve();
    const listeners = this.logListeners.get(runId) ?? new Set();
    this.logListeners.set(runId, listeners);
    listeners.add(onLine);
    return new Promise((done) => signal.addEventListener("abort", () => (listeners.delete(onLine), done())));
  }

  events(onEvent: (event: DaemonEventMessage) => void, signal: AbortSignal): Promise<void> {
    if (this.down) return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:7070"));
    this.eventListeners.add(onEvent);
    return new Promise((done) => {
      const end = () => {
        this.eventListeners.delete(onEvent);
        this.endStreams.delete(end);
        done();
      };
      this.endStreams.add(end);
      signal.addEventListener("abort", end);
    });
  }

  async reconnect(): Promise<void> {
    this.reconnects += 1;
    if (this.down) throw new Error("No running Sluice daemon found");
  }

  /** A daemon event, as the SSE stream would deliver it. */
  emit(event: DaemonEventMessage): void {
    for (const listener of [...this.eventListeners]) listener(event);
  }
  /** A new log line of a run (stored and pushed to followers). */
  writeLog(runId: string, text: string, stream = "stdout"): void {
    const lines = this.logLines.get(runId) ?? [];
    const line = { seq: lines.length + 1, time: new Date().toISOString(), stream, text };
    lines.push(line);
    this.logLines.set(runId, lines);
    for (const listener of this.logListeners.get(runId) ?? []) listener(line);
  }
  /** The daemon goes away: open streams end, requests fail until `down` is false again. */
  stopDaemon(): void {
    this.down = true;
    for (const end of [...this.endStreams]) end();
  }

  private record(action: string, ...args: unknown[]): void {
    if (this.down) throw new Error("daemon unreachable");
    this.calls.push({ action, args });
  }
  private guard<T>(value: T): T {
    if (this.down) throw new Error("daemon unreachable");
    return value;
  }
}

export function makeRun(key: string, number: number, status: string, extra: Partial<RunView> = {}): RunView {
  const [workspace, ref] = key.includes("/") ? [key.slice(0, key.indexOf("/")), key.slice(key.indexOf("/") + 1)] : [null, key];
  return {
    runId: `run_${key.replace(/\W/g, "_")}_${number}`,
    number,
    job: ref.split(".").pop() ?? ref,
    jobRef: ref,
    key,
    workspace,
    profile: null,
    trigger: "schedule:*/5 * * * *",
    status,
    reason: null,
    createdAt: "2026-04-14T10:00:00.000Z",
    startedAt: status === "pending" ? null : "2026-04-14T10:00:01.000Z",
    finishedAt: ["completed", "failed", "cancelled"].includes(status) ? "2026-04-14T10:00:13.000Z" : null,
    intervalStart: "2026-04-14T09:55:00.000Z",
    intervalEnd: "2026-04-14T10:00:00.000Z",
    refresh: false,
    exitCode: status === "completed" ? 0 : null,
    cancelCause: null,
    where: status === "pending" ? null : "container 0123456789ab on this machine",
    ...extra,
  };
}

export function makeJob(workspace: string, name: string, extra: Partial<DashboardJobView> = {}): DashboardJobView {
  const ref = `jobs.${name}`;
  return {
    jobRef: ref,
    key: `${workspace}/${ref}`,
    name,
    workspace,
    type: "batch",
    triggers: ["schedule:*/5 * * * *", `manual:${ref}`],
    defaultTrigger: "schedule:*/5 * * * *",
    nextFire: "2026-04-14T10:05:00.000Z",
    lastRun: null,
    displayName: null,
    timezone: "UTC",
    tags: [],
    humanTriggers: ["schedule: */5 * * * *"],
    upstreams: [],
    held: null,
    archived: false,
    ...extra,
  };
}
