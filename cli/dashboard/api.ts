/** What the dashboard asks the daemon: one interface, implemented over HTTP + SSE by `DaemonDashboardApi`. */
import type { DeploymentRecord } from "../../reconciler/history/index.js";
import { DaemonClient, type ClientScope } from "../daemon/client.js";
import type { DashboardJobView, InfoView, LogLineView, RunView, TriggerView } from "../daemon/runtime-types.js";

export interface DaemonEventMessage {
  type: string;
  workspace?: string | undefined;
  data: unknown;
}

export interface DashboardApi {
  /** Where the daemon answers (shown in the header). */
  url(): string;
  jobs(): Promise<DashboardJobView[]>;
  info(): Promise<InfoView>;
  runs(key: string): Promise<RunView[]>;
  deployments(workspace: string): Promise<DeploymentRecord[]>;
  /** Keys of the active jobs a selector (`tag:x`, `schedule:*`, a type, a name) matches. */
  select(selector: string): Promise<string[]>;
  trigger(key: string, refresh: boolean): Promise<TriggerView>;
  cancel(runId: string): Promise<RunView>;
  serve(key: string): Promise<{ url: string }>;
  rollback(workspace: string, version: number): Promise<DeploymentRecord>;
  /** The run's log from the start, then live lines until it ends or `signal` aborts. */
  followLogs(runId: string, onLine: (line: LogLineView) => void, signal: AbortSignal): Promise<void>;
  /** The daemon's event stream; resolves when the daemon ends it, rejects when unreachable. */
  events(onEvent: (event: DaemonEventMessage) => void, signal: AbortSignal): Promise<void>;
  /** Re-reads the daemon's address and token (a restarted daemon may listen elsewhere). */
  reconnect(): Promise<void>;
}

/** The dashboard's API over a real daemon found through its home (same home and token as the other verbs). */
export class DaemonDashboardApi implements DashboardApi {
  private constructor(
    private client: DaemonClient,
    private readonly home: string,
    private readonly scope: ClientScope,
  ) {}

  static async connect(home: string, scope: ClientScope = {}): Promise<DaemonDashboardApi> {
    return new DaemonDashboardApi(await DaemonClient.fromHome(home, scope), home, scope);
  }

  url = () => this.client.url;
  jobs = async () => {
    const { jobs } = await this.client.request<{ jobs: DashboardJobView[] }>("GET", "/v1/dashboard/jobs");
    return this.scope.workspace ? jobs.filter((j) => j.workspace === this.scope.workspace) : jobs;
  };
  info = () => this.client.request<InfoView>("GET", "/v1/info");
  runs = async (key: string) => (await this.client.request<{ runs: RunView[] }>("GET", `/v1/runs?job=${encodeURIComponent(key)}&limit=50`)).runs;
  deployments = async (workspace: string) =>
    (await this.client.request<{ deployments: DeploymentRecord[] }>("GET", `/v1/workspaces/${encodeURIComponent(workspace)}/deployments?limit=50`)).deployments;
  select = async (selector: string) =>
    (await this.client.request<{ jobs: Array<{ key: string }> }>("GET", `/v1/jobs?selector=${encodeURIComponent(selector)}`)).jobs.map((j) => j.key);
  trigger = (key: string, refresh: boolean) => this.client.request<TriggerView>("POST", "/v1/trigger", { selectors: [key], only: [key], refresh });
  cancel = async (runId: string) => (await this.client.request<{ run: RunView }>("POST", `/v1/runs/${encodeURIComponent(runId)}/cancel`)).run;
  serve = (key: string) => this.client.request<{ url: string }>("POST", "/v1/serve", { job: key });
  rollback = async (workspace: string, version: number) =>
    (await this.client.request<{ deployment: DeploymentRecord }>("POST", `/v1/workspaces/${encodeURIComponent(workspace)}/rollback`, { to: version })).deployment;

  followLogs(runId: string, onLine: (line: LogLineView) => void, signal: AbortSignal): Promise<void> {
    return this.client.stream(
      `/v1/runs/${encodeURIComponent(runId)}/logs?follow=1`,
      (value) => {
        const item = value as { line?: LogLineView };
        if (item.line) onLine(item.line);
      },
      signal,
    );
  }

  async events(onEvent: (event: DaemonEventMessage) => void, signal: AbortSignal): Promise<void> {
    const res = await this.client.open("/v1/events", signal);
    const parser = new SseParser(onEvent);
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.push(decoder.decode(chunk, { stream: true }));
  }

  async reconnect(): Promise<void> {
    this.client = await DaemonClient.fromHome(this.home, this.scope);
  }
}

/** Server-sent events → messages (`event:` names the type, `data:` holds `{workspace, data}`). */
export class SseParser {
  private buffer = "";
  constructor(private readonly onEvent: (event: DaemonEventMessage) => void) {}

  push(text: string): void {
    this.buffer += text.replace(/\r\n/g, "\n");
    let end = this.buffer.indexOf("\n\n");
    while (end >= 0) {
      this.block(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + 2);
      end = this.buffer.indexOf("\n\n");
    }
  }

  private block(block: string): void {
    let type = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) type = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
    if (data.length === 0) return;
    try {
      const payload = JSON.parse(data.join("\n")) as { workspace?: string; data?: unknown };
      this.onEvent({ type, workspace: payload.workspace, data: payload.data });
    } catch {
      // a malformed block is dropped; the next snapshot reload corrects the view
    }
  }
}
