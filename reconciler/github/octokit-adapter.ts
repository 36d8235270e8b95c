/**
 * The one adapter around Octokit: GitHub App installation tokens (installation looked up per
 * repo, tokens cached and renewed by @octokit/auth-app before they expire) or a plain token.
 * Everything else in reconciler/github talks to `GitHubApi`.
 */
import { createAppAuth } from "@octokit/auth-app";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import type { Logger } from "../../core/index.js";

export type GitHubAuth = { kind: "app"; appId: number; privateKey: string } | { kind: "token"; token: string };

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
}

export interface CheckRunFields {
  name: string;
  head_sha: string;
  status: "queued" | "in_progress" | "completed";
  conclusion?: "success" | "failure" | "neutral" | "cancelled";
  title: string;
  summary: string;
  text?: string;
  annotations?: Annotation[];
}

export interface GitHubApi {
  readonly mode: "app" | "token";
  /** Check runs need an App; a plain token reports commit statuses instead. */
  readonly canCheckRuns: boolean;
  createCheckRun(fullName: string, fields: CheckRunFields): Promise<number>;
  /** Sends annotations 50 per request (GitHub's limit), the later ones in follow-up updates. */
  updateCheckRun(fullName: string, id: number, fields: CheckRunFields): Promise<void>;
  createStatus(fullName: string, sha: string, status: { state: "pending" | "success" | "failure" | "error"; context: string; description: string }): Promise<void>;
  /** The PR comment whose body starts with `marker`, or undefined. */
  findComment(fullName: string, pr: number, marker: string): Promise<{ id: number; body: string } | undefined>;
  createComment(fullName: string, pr: number, body: string): Promise<number>;
  updateComment(fullName: string, id: number, body: string): Promise<void>;
}

/** Annotations per check run request (GitHub's limit). */
export const ANNOTATIONS_PER_REQUEST = 50;
const REQUEST_TIMEOUT_MS = 15_000;
const GhOctokit = Octokit.plugin(retry, throttling);
type GhClient = InstanceType<typeof GhOctokit>;

/** What a report can tell a retryable failure (network, 5xx, rate limit) from a final one. */
export function isRetryable(error: unknown): boolean {
  const status = (error as { status?: number }).status;
  if (typeof status !== "number" || status === 0 || status >= 500 || status === 429) return true;
  const headers = (error as { response?: { headers?: Record<string, string | undefined> } }).response?.headers ?? {};
  return status === 403 && (headers["x-ratelimit-remaining"] === "0" || headers["retry-after"] !== undefined);
}

export function describeAuth(auth: GitHubAuth): string {
  return auth.kind === "app"
    ? `GitHub App ${auth.appId}: check runs, commit statuses and PR comments`
    : "a plain token: commit statuses and PR comments only; no check runs (sluice/deploy, sluice/preview and sluice/run are reported as commit statuses, without annotations)";
}

export function createGitHubApi(options: { apiUrl: string; auth: GitHubAuth; logger: Logger }): GitHubApi {
  const { apiUrl, auth, logger } = options;
  const make = (authOptions: Record<string, unknown>): GhClient =>
    new GhOctokit({
      baseUrl: apiUrl.replace(/\/$/, ""),
      ...authOptions,
      userAgent: "sluice",
      log: { debug: () => {}, info: () => {}, warn: (m: string) => logger.debug("octokit", { message: m }), error: (m: string) => logger.debug("octokit", { message: m }) },
      // the report queue owns retries with backoff; Octokit retries once and never sleeps on a rate limit
      retry: { retries: 1 },
      throttle: { onRateLimit: () => false, onSecondaryRateLimit: () => false },
      request: { retries: 1, retryAfter: 1, fetch: (url: string, init: RequestInit) => fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }) },
    });
  const clientFor = auth.kind === "token" ? tokenClients(make(auth.token === "" ? {} : { auth: auth.token })) : appClients(make, auth);
  return buildApi(auth.kind, clientFor);
}

function tokenClients(client: GhClient): (fullName: string) => Promise<GhClient> {
  return async () => client;
}

function appClients(make: (o: Record<string, unknown>) => GhClient, auth: { appId: number; privateKey: string }): (fullName: string) => Promise<GhClient> {
  const app = make({ authStrategy: createAppAuth, auth: { appId: auth.appId, privateKey: auth.privateKey } });
  const clients = new Map<string, GhClient>();
  return async (fullName) => {
    const key = fullName.toLowerCase();
    const known = clients.get(key);
    if (known) return known;
    const [owner = "", repo = ""] = fullName.split("/");
    const { data } = await app.rest.apps.getRepoInstallation({ owner, repo }).catch((error: unknown) => {
      const status = (error as { status?: number }).status;
      if (status !== 404) throw error;
      throw Object.assign(new Error(`the GitHub App is not installed on ${fullName}: install it on that repository (docs/github.md, "Setting up a GitHub App")`), { status });
    });
    const client = make({ authStrategy: createAppAuth, auth: { appId: auth.appId, privateKey: auth.privateKey, installationId: data.id } });
    clients.set(key, client);
    return client;
  };
}

function split(fullName: string): { owner: string; repo: string } {
  const [owner = "", repo = ""] = fullName.split("/");
  return { owner, repo };
}

function output(fields: CheckRunFields, annotations: Annotation[]) {
  return { title: fields.title, summary: fields.summary, ...(fields.text ? { text: fields.text } : {}), ...(annotations.length ? { annotations } : {}) };
}

function buildApi(mode: "app" | "token", clientFor: (fullName: string) => Promise<GhClient>): GitHubApi {
  const chunks = (list: Annotation[] = []) => {
    const out: Annotation[][] = [];
    for (let i = 0; i < list.length; i += ANNOTATIONS_PER_REQUEST) out.push(list.slice(i, i + ANNOTATIONS_PER_REQUEST));
    return out.length ? out : [[]];
  };
  const update = async (fullName: string, id: number, fields: CheckRunFields): Promise<void> => {
    const client = await clientFor(fullName);
    const [first = [], ...rest] = chunks(fields.annotations);
    const done = fields.status === "completed" ? { conclusion: fields.conclusion ?? "neutral" } : {};
    await client.rest.checks.update({ ...split(fullName), check_run_id: id, status: fields.status, ...done, output: output(fields, first) });
    for (const more of rest) await client.rest.checks.update({ ...split(fullName), check_run_id: id, output: output(fields, more) });
  };
  return {
    mode,
    canCheckRuns: mode === "app",
    async createCheckRun(fullName, fields) {
      const client = await clientFor(fullName);
      const [first = [], ...rest] = chunks(fields.annotations);
      const done = fields.status === "completed" ? { conclusion: fields.conclusion ?? "neutral" } : {};
      const { data } = await client.rest.checks.create({ ...split(fullName), name: fields.name, head_sha: fields.head_sha, status: fields.status, ...done, output: output(fields, first) });
      for (const more of rest) await client.rest.checks.update({ ...split(fullName), check_run_id: data.id, output: output(fields, more) });
      return data.id;
    },
    updateCheckRun: update,
    async createStatus(fullName, sha, status) {
      const client = await clientFor(fullName);
      await client.rest.repos.createCommitStatus({ ...split(fullName), sha, state: status.state, context: status.context, description: status.description.slice(0, 140) });
    },
    async findComment(fullName, pr, marker) {
      const client = await clientFor(fullName);
      const comments = await client.paginate(client.rest.issues.listComments, { ...split(fullName), issue_number: pr, per_page: 100 });
      const found = comments.find((c) => (c.body ?? "").startsWith(marker));
      return found ? { id: found.id, body: found.body ?? "" } : undefined;
    },
    async createComment(fullName, pr, body) {
      const client = await clientFor(fullName);
      const { data } = await client.rest.issues.createComment({ ...split(fullName), issue_number: pr, body });
      return data.id;
    },
    async updateComment(fullName, id, body) {
      const client = await clientFor(fullName);
      await client.rest.issues.updateComment({ ...split(fullName), comment_id: id, body });
    },
  };
}
