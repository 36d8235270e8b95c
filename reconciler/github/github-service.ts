/**
 * Starts GitHub reporting for the daemon: reads the key/token/secret files, builds the Octokit
 * adapter, the durable queue, the reporter and (when configured) the webhook listener, and says
 * in the log which authentication is used and what it cannot do.
 */
import { readFile } from "node:fs/promises";
import type { Database, Logger, TypedEvents } from "../../core/index.js";
import { SluiceError } from "../../core/index.js";
import type { DeploymentHistory, RepoStore } from "../history/index.js";
import type { ReconcilerEventMap } from "../reconcile/index.js";
import { GitHubStore } from "./github-store.js";
import type { GitHubApi, GitHubAuth } from "./octokit-adapter.js";
import { createGitHubApi, describeAuth } from "./octokit-adapter.js";
import type { PreviewDeps } from "./pr-preview.js";
import { ReportQueue } from "./report-queue.js";
import { GitHubReporter } from "./reporter.js";
import type { WebhookServer } from "./webhook-server.js";
import { startWebhookServer } from "./webhook-server.js";

const STOP_GRACE_MS = 20_000;

export interface GitHubSettings {
  apiUrl: string;
  auth: { kind: "app"; appId: number; privateKeyFile: string } | { kind: "token"; tokenFile: string };
  webhook: { host: string; port: number; secretFile: string } | null;
  backoffMs: number;
  maxBackoffMs: number;
  /** `failures`: a `sluice/run: <job>` check run for every failed run; `off`: none. */
  runReports: "failures" | "off";
}

export interface GitHubServiceInput {
  settings: GitHubSettings;
  db: Database;
  repos: RepoStore;
  history: DeploymentHistory;
  events: TypedEvents<ReconcilerEventMap>;
  poke: () => Promise<void>;
  preview: PreviewDeps;
  logger: Logger;
  now: () => number;
}

export interface GitHubService {
  store: GitHubStore;
  api: GitHubApi;
  queue: ReportQueue;
  reporter: GitHubReporter;
  webhookUrl: string | null;
  stop(): Promise<void>;
}

async function readSecretFile(file: string, what: string, key: string): Promise<string> {
  try {
    const text = (await readFile(file, "utf8")).trim();
    if (text) return text;
  } catch (error) {
    throw new SluiceError("config_invalid", `Cannot read the ${what} ${file} (${key}): ${(error as Error).message}`, { hint: `Create the file or fix ${key} in sluice.yaml (docs/github.md).` });
  }
  throw new SluiceError("config_invalid", `The ${what} ${file} (${key}) is empty.`, { hint: "docs/github.md says where to get it." });
}

async function loadAuth(settings: GitHubSettings): Promise<GitHubAuth> {
  if (settings.auth.kind === "token") return { kind: "token", token: await readSecretFile(settings.auth.tokenFile, "GitHub token file", "github.tokenFile") };
  const privateKey = await readSecretFile(settings.auth.privateKeyFile, "GitHub App private key", "github.app.privateKeyFile");
  return { kind: "app", appId: settings.auth.appId, privateKey };
}

/** GitHub's web address for an API URL (api.github.com → github.com; Enterprise `/api/v3` dropped). */
export function serverUrlOf(apiUrl: string): string {
  const url = apiUrl.replace(/\/$/, "");
  if (/^https:\/\/api\.github\.com$/.test(url)) return "https://github.com";
  return url.replace(/\/api\/v3$/, "");
}

export async function startGitHubService(input: GitHubServiceInput): Promise<GitHubService> {
  const { settings, logger } = input;
  const log = logger.child("github");
  const auth = await loadAuth(settings);
  const secret = settings.webhook ? await readSecretFile(settings.webhook.secretFile, "webhook secret", "github.webhook.secretFile") : null;
  const store = new GitHubStore(input.db, input.now);
  const api = createGitHubApi({ apiUrl: settings.apiUrl, auth, logger: log });
  const queue = new ReportQueue({ store, api, logger: log, backoffMs: settings.backoffMs, maxBackoffMs: settings.maxBackoffMs, now: input.now });
  const reporter = new GitHubReporter({ store, queue, repos: input.repos, history: input.history, events: input.events, poke: input.poke, preview: input.preview, logger: log, now: input.now, serverUrl: serverUrlOf(settings.apiUrl) });
  let webhook: WebhookServer | null = null;
  if (settings.webhook && secret) {
    webhook = await startWebhookServer({ host: settings.webhook.host, port: settings.webhook.port, secret, logger: log, firstDelivery: (id) => store.firstDelivery(id), handle: (d) => reporter.onWebhook(d) });
  }
  reporter.start();
  queue.start();
  log.info(`github reporting uses ${describeAuth(auth)}`, { apiUrl: settings.apiUrl, pending: store.pendingCount() });
  log.info(webhook ? `github webhooks: POST ${webhook.url}` : "github webhooks off (no github.webhook section): pushes are found by polling, no pull request previews", {});
  return {
    store,
    api,
    queue,
    reporter,
    webhookUrl: webhook?.url ?? null,
    async stop() {
      await webhook?.close();
      reporter.stop();
      // a preview in the middle of a dlt generation must not hold up shutdown for long
      await Promise.race([reporter.whenIdle(), new Promise<void>((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
      await queue.stop();
    },
  };
}
