/**
 * The report queue and the Octokit adapter against the fake GitHub (no daemon): a plain token
 * reports commit statuses instead of check runs, more than 50 annotations go out in several
 * requests, and reports queued while GitHub is down survive a restart of the queue.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../core/index.js";
import { openDatabase, silentLogger } from "../core/index.js";
import { FakeGitHub } from "../fixtures/fake-github/server.js";
import type { CheckRunFields } from "../reconciler/github/index.js";
import { GitHubStore, ReportQueue, createGitHubApi } from "../reconciler/github/index.js";
import { waitUntil } from "./daemon-e2e-support.js";

const SHA = "a".repeat(40);
let dir: string;
let db: Database;
let fake: FakeGitHub | undefined;
const queues: ReportQueue[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sluice-ghq-"));
  db = openDatabase(join(dir, "sluice.db"));
});
afterEach(async () => {
  for (const q of queues.splice(0)) await q.stop();
  await fake?.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function queueFor(api: ReturnType<typeof createGitHubApi>): ReportQueue {
  const queue = new ReportQueue({ store: new GitHubStore(db), api, logger: silentLogger, backoffMs: 100, maxBackoffMs: 400 });
  queues.push(queue);
  queue.start();
  return queue;
}

const fields = (over: Partial<CheckRunFields>): CheckRunFields => ({ name: "sluice/deploy", head_sha: SHA, status: "in_progress", title: "Deploying", summary: "…", ...over });

describe("GitHub report queue", () => {
  it("with a plain token, check runs become commit statuses (a skip never overrides a result) and comments are created then updated in place, a part no longer needed emptied", async () => {
    fake = await new FakeGitHub({ plainToken: "ghp_plain" }).start();
    const api = createGitHubApi({ apiUrl: fake.url, auth: { kind: "token", token: "ghp_plain" }, logger: silentLogger });
    expect(api.canCheckRuns).toBe(false);
    const queue = queueFor(api);
    queue.enqueue("deploy:x", { kind: "check", fullName: "acme/p", fields: fields({}) });
    queue.enqueue("deploy:x", { kind: "check", fullName: "acme/p", fields: fields({ status: "completed", conclusion: "failure", title: "broken" }) });
    queue.enqueue("deploy:x", { kind: "check", fullName: "acme/p", fields: fields({ status: "completed", conclusion: "neutral", title: "not redeployed" }), onlyIfNew: true });
    queue.enqueue("comment:x", { kind: "comment", fullName: "acme/p", pr: 3, marker: "<!-- m -->", parts: ["first", "second part"] });
    queue.enqueue("comment:x", { kind: "comment", fullName: "acme/p", pr: 3, marker: "<!-- m -->", parts: ["second"] });
    await waitUntil(() => fake?.statuses.length === 2 && fake.comments[0]?.body === "<!-- m -->\nsecond", 10_000, () => JSON.stringify([fake?.statuses, fake?.comments, fake?.rejected]));
    await waitUntil(() => fake?.comments[1]?.body.includes("no longer needed") === true, 10_000, () => JSON.stringify(fake?.comments));
    expect(fake.statuses.map((s) => [s.context, s.state, s.description])).toEqual([["sluice/deploy", "pending", "Deploying"], ["sluice/deploy", "failure", "broken"]]);
    expect(fake.comments.map((c) => c.body)).toEqual(["<!-- m -->\nsecond", "<!-- m part 2 -->\n_This part of the preview is no longer needed._"]);
    expect(fake.checkRuns).toEqual([]);
    expect(fake.rejected).toEqual([]);
  });

  it("with an App: 120 annotations go out 50 per request; reports queued while GitHub is down are delivered in order by the next queue on the same database", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    fake = await new FakeGitHub({ appId: 7, appPublicKey: publicKey.export({ type: "spki", format: "pem" }).toString(), installations: { "acme/p": 9 } }).start();
    const api = createGitHubApi({ apiUrl: fake.url, auth: { kind: "app", appId: 7, privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString() }, logger: silentLogger });
    fake.setDown(true);
    const first = queueFor(api);
    const annotations = Array.from({ length: 120 }, (_, i) => ({ path: "__deployment__.py", start_line: i + 1, end_line: i + 1, annotation_level: "failure" as const, message: `line ${i + 1}` }));
    first.enqueue("deploy:y", { kind: "check", fullName: "acme/p", fields: fields({}) });
    first.enqueue("deploy:y", { kind: "check", fullName: "acme/p", fields: fields({ status: "completed", conclusion: "failure", title: "broken", annotations }) });
    await waitUntil(() => (db.prepare("SELECT MAX(attempts) AS n FROM github_reports").get() as { n: number }).n >= 1, 20_000, () => "no retries while down");
    await first.stop();
    fake.setDown(false);
    queueFor(api);
    await waitUntil(() => fake?.checkRuns[0]?.conclusion === "failure" && fake.checkRuns[0].annotations.length === 120, 20_000, () => JSON.stringify([fake?.checkRuns.map((c) => [c.status, c.annotations.length]), fake?.rejected]));
    const run = fake.checkRuns[0];
    expect(fake.checkRuns).toHaveLength(1);
    expect(run?.history.map((h) => h.status)).toEqual(["in_progress", "completed", "completed", "completed"]);
    expect(fake.requests.filter((r) => r.path.includes("/check-runs")).map((r) => r.method)).toEqual(["POST", "PATCH", "PATCH", "PATCH"]);
    expect(fake.rejected).toEqual([]);
  });
});
