/**
 * GitHub reporting end to end: a real `sluice up` (local executor, real dlt and git) bound to a
 * fake GitHub that keeps state and refuses requests its OpenAPI description does not allow;
 * webhooks signed like GitHub's. One daemon for the whole file; the tests build on each other.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeGitHub } from "../fixtures/fake-github/server.js";
import { deliverWebhook } from "../fixtures/fake-github/webhooks.js";
import { DaemonProcess, sleep, waitUntil } from "./daemon-e2e-support.js";
import { APP_ID, FULL_NAME, Origin, WEBHOOK_SECRET, appKeys, deploymentModule, freePort, pullRequestPayload, pushPayload } from "./github-support.js";

interface Deployment {
  status: string;
  version: number | null;
  commit: { sha: string };
}

const GOOD = [
  { name: "load", trigger: "every:5m" },
  { name: "report", trigger: "0 6 * * *" },
];

let root: string;
let fake: FakeGitHub;
let daemon: DaemonProcess;
let origin: Origin;
let hookUrl: string;

async function deployments(): Promise<Deployment[]> {
  return daemon.json<Deployment[]>("deployments", "pipes");
}

function deployRun(sha: string) {
  return fake.checkRunsNamed("sluice/deploy", sha)[0];
}

async function waitForDeployCheck(sha: string, conclusion: string, timeoutMs = 180_000): Promise<NonNullable<ReturnType<typeof deployRun>>> {
  await waitUntil(() => deployRun(sha)?.conclusion === conclusion, timeoutMs, () => `sluice/deploy ${conclusion} on ${sha.slice(0, 8)}; runs: ${JSON.stringify(fake.checkRuns.map((c) => [c.name, c.head_sha.slice(0, 8), c.status, c.conclusion]))}\n${daemon.output.slice(-3000)}`);
  return deployRun(sha) as NonNullable<ReturnType<typeof deployRun>>;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "sluice-github-"));
  const keys = appKeys(root);
  writeFileSync(join(root, "webhook-secret"), `${WEBHOOK_SECRET}\n`, { mode: 0o600 });
  fake = await new FakeGitHub({ appId: APP_ID, appPublicKey: keys.publicKey, installations: { [FULL_NAME]: 77 } }).start();
  const port = await freePort();
  hookUrl = `http://127.0.0.1:${port}/hooks/github`;
  origin = new Origin(root);
  origin.commit(deploymentModule(GOOD), "first jobs");
  origin.push("main");
  daemon = new DaemonProcess(join(root, "home"));
  await daemon.start(
    [
      "executor: local",
      "api: { port: 0 }",
      "proxy: { port: 0 }",
      "repos: { pollInterval: 1h }",
      "github:",
      `  apiUrl: ${fake.url}`,
      `  app: { id: ${APP_ID}, privateKeyFile: ${keys.privateKeyFile} }`,
      `  webhook: { host: 127.0.0.1, port: ${port}, secretFile: ${join(root, "webhook-secret")} }`,
      "  backoff: 1s",
      "  maxBackoff: 5s",
      "",
    ].join("\n"),
  );
  const added = await daemon.cli("repo", "add", "pipes", "--url", origin.url, "--path", ".", "--github", FULL_NAME);
  expect(added.code, added.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await daemon?.stop();
  await fake?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("GitHub reporting", () => {
  it("says at start-up that it uses the App and where webhooks go; repo list shows the binding; ping is answered and a redelivery is ignored", async () => {
    expect(daemon.output).toContain(`github reporting uses GitHub App ${APP_ID}`);
    expect(daemon.output).toContain(`github webhooks: POST ${hookUrl}`);
    expect(await daemon.json<{ repo: { name: string }; github: string | null }[]>("repo", "list")).toEqual([expect.objectContaining({ repo: expect.objectContaining({ name: "pipes" }), github: FULL_NAME })]);
    const ping = await deliverWebhook(hookUrl, WEBHOOK_SECRET, "ping", { zen: "Keep it logically awesome.", repository: { full_name: FULL_NAME } });
    expect([ping.status, JSON.parse(ping.body)]).toEqual([200, { ok: true, pong: true, zen: "Keep it logically awesome." }]);
    const first = await deliverWebhook(hookUrl, WEBHOOK_SECRET, "push", pushPayload(origin.head(), "other-branch"), { delivery: "dup-1" });
    const again = await deliverWebhook(hookUrl, WEBHOOK_SECRET, "push", pushPayload(origin.head(), "other-branch"), { delivery: "dup-1" });
    expect([first.status, again.status, JSON.parse(again.body)]).toEqual([202, 200, { ok: true, duplicate: true }]);
  });

  it("a push to the deploy branch: the webhook is answered within a second, sluice/deploy goes in_progress then success with the diff table", async () => {
    // the first deploy may build the workspace's host venv (shared with the broken fixtures' lock)
    const initial = await waitForDeployCheck(origin.head(), "success", 900_000);
    expect(initial.history.map((h) => h.status)).toEqual(["in_progress", "completed"]);

    const sha = origin.commit(deploymentModule([{ name: "load", trigger: "every:10m" }, ...GOOD.slice(1), { name: "extra", trigger: "every:1h" }]), "change load, add extra");
    origin.push("main");
    const delivery = await deliverWebhook(hookUrl, WEBHOOK_SECRET, "push", pushPayload(sha));
    expect(delivery.status).toBe(202);
    expect(delivery.ms).toBeLessThan(1000);
    const run = await waitForDeployCheck(sha, "success");
    expect(run.history.map((h) => [h.status, h.conclusion])).toEqual([["in_progress", null], ["completed", "success"]]);
    expect(run.output.summary).toContain("| job | change | triggers | next run |");
    expect(run.output.summary).toMatch(/\| `jobs\.__deployment__\.load` \| updated \| every 10 minutes \| \d{4}-\d\d-\d\d \d\d:\d\d UTC \|/);
    expect(run.output.summary).toMatch(/\| `jobs\.__deployment__\.extra` \| added \|/);
    expect(run.output.summary).toMatch(/\| `jobs\.__deployment__\.report` \| unchanged \|/);
    expect((await deployments())[0]?.commit.sha).toBe(sha);
    expect(fake.rejected).toEqual([]);
  }, 1_200_000);

  it("a webhook with a bad signature gets 401 and a log line; nothing is deployed or reported", async () => {
    const before = await deployments();
    const requests = fake.requests.length;
    const sha = origin.commit(deploymentModule(GOOD), "unsigned push");
    origin.push("main");
    const delivery = await deliverWebhook(hookUrl, WEBHOOK_SECRET, "push", pushPayload(sha), { signature: `sha256=${"0".repeat(64)}` });
    expect(delivery.status).toBe(401);
    await waitUntil(() => daemon.output.includes("github webhook rejected: bad or missing X-Hub-Signature-256"), 5_000, () => daemon.output.slice(-2000));
    await sleep(3_000);
    expect(await deployments()).toEqual(before);
    expect(fake.requests.length).toBe(requests);
    expect(deployRun(sha)).toBeUndefined();
  }, 60_000);

  it("a broken push: sluice/deploy fails with an annotation on the offending line of __deployment__.py, the previous deployment keeps running", async () => {
    const active = (await deployments()).find((d) => d.status === "applied");
    const sha = origin.commit(deploymentModule([...GOOD, { name: "too_often", trigger: "every:30s" }]), "too often");
    origin.push("main");
    expect((await deliverWebhook(hookUrl, WEBHOOK_SECRET, "push", pushPayload(sha))).status).toBe(202);
    const run = await waitForDeployCheck(sha, "failure");
    expect(run.output.title).toContain("every:30s");
    expect(run.annotations).toEqual([expect.objectContaining({ path: "__deployment__.py", start_line: 16, annotation_level: "failure" })]);
    expect(run.output.summary).toContain(`keeps running`);
    const list = await deployments();
    expect(list[0]).toMatchObject({ status: "failed", commit: { sha } });
    expect(list.find((d) => d.status === "applied")).toEqual(active);
    const jobs = JSON.stringify(await daemon.json<unknown>("job", "list"));
    expect(jobs).toContain("jobs.__deployment__.load");
    expect(fake.rejected).toEqual([]);
  }, 240_000);

  it("a pull request: one comment with the dry-run diff, updated in place on three more pushes, nothing deployed until the merge; closing marks it outdated", async () => {
    const activeBefore = (await deployments()).find((d) => d.status === "applied");
    origin.checkout("feature");
    const heads: string[] = [];
    const schedules = ["0 * * * *", "30 * * * *", "every:15m", "0 9 * * 1"];
    for (const [i, trigger] of schedules.entries()) {
      const sha = origin.commit(deploymentModule([{ name: "load", trigger }, ...GOOD.slice(1)]), `feature ${i}`);
      origin.push("feature", "refs/pull/7/head");
      heads.push(sha);
      const action = i === 0 ? "opened" : "synchronize";
      expect((await deliverWebhook(hookUrl, WEBHOOK_SECRET, "pull_request", pullRequestPayload(action, 7, sha, "feature"))).status).toBe(202);
      await waitUntil(() => fake.commentsOn(7)[0]?.body.includes(sha.slice(0, 12)) === true, 180_000, () => `comment for ${sha}: ${JSON.stringify(fake.commentsOn(7))}\n${daemon.output.slice(-2000)}`);
      expect(fake.commentsOn(7)).toHaveLength(1);
    }
    const comment = fake.commentsOn(7)[0];
    expect(comment?.updates).toBe(3);
    expect(comment?.body.startsWith("<!-- sluice:preview -->")).toBe(true);
    expect(comment?.body).toMatch(/\| `jobs\.__deployment__\.load` \| updated \|/);
    expect(comment?.body).toMatch(/`jobs\.__deployment__\.load`: every 10 minutes → weekly on Monday at 09:00; next runs: (\d{4}-\d\d-\d\d 09:00 UTC, ){2}\d{4}-\d\d-\d\d 09:00 UTC/);
    await waitUntil(() => fake.checkRunsNamed("sluice/preview", heads[3]).some((c) => c.conclusion === "success"), 30_000, () => JSON.stringify(fake.checkRunsNamed("sluice/preview")));
    expect((await deployments()).find((d) => d.status === "applied")).toEqual(activeBefore);

    expect((await deliverWebhook(hookUrl, WEBHOOK_SECRET, "pull_request", pullRequestPayload("closed", 7, heads[3] ?? "", "feature"))).status).toBe(202);
    await waitUntil(() => fake.commentsOn(7)[0]?.body.includes("**Outdated**") === true, 30_000, () => JSON.stringify(fake.commentsOn(7)));
    expect(fake.commentsOn(7)).toHaveLength(1);
    expect(fake.rejected).toEqual([]);
  }, 600_000);

  it("fake GitHub down for 2 minutes: the merge deploys anyway, every report arrives in order after it returns (deploy and a failed run with its secret redacted), and the scheduler kept time", async () => {
    origin.checkout("main");
    const jobs = [{ name: "load", trigger: "0 9 * * 1" }, GOOD[1] ?? GOOD[0]!, { name: "tick", trigger: "* * * * *" }, { name: "boom", trigger: "0 3 * * *", body: "print('token is', 'sup3r-s3cret-t0ken'); raise SystemExit(3)" }];
    // the value is in the secret store, so the redactor masks it wherever it shows up in a log
    writeFileSync(join(root, "prod.secrets.toml"), '[sources]\ntoken = "sup3r-s3cret-t0ken"\n');
    expect((await daemon.at(root).plain("secrets", "set", "pipes", "prod", "--file", join(root, "prod.secrets.toml"))).code).toBe(0);
    const merged = origin.commit(deploymentModule(jobs), "merge feature: load weekly, tick, boom");
    origin.push("main");
    expect((await deliverWebhook(hookUrl, WEBHOOK_SECRET, "push", pushPayload(merged))).status).toBe(202);
    const mergedRun = await waitForDeployCheck(merged, "success");
    // the PR's schedule is deployed only now, by the merge
    expect(mergedRun.output.summary).toMatch(/\| `jobs\.__deployment__\.load` \| updated \| weekly on Monday at 09:00 \|/);

    fake.setDown(true);
    const downAt = Date.now();
    const sha = origin.commit(deploymentModule([...jobs, { name: "extra", trigger: "every:1h" }]), "during the outage");
    origin.push("main");
    expect((await deliverWebhook(hookUrl, WEBHOOK_SECRET, "push", pushPayload(sha))).status).toBe(202);
    await waitUntil(async () => (await deployments())[0]?.commit.sha === sha, 60_000, () => daemon.output.slice(-2000));
    expect((await daemon.cli("trigger", "boom")).code).toBe(0);
    await sleep(Math.max(0, downAt + 120_000 - Date.now()));
    const upAt = Date.now();
    expect(deployRun(sha)).toBeUndefined();
    fake.setDown(false);

    const run = await waitForDeployCheck(sha, "success");
    expect(run.history.map((h) => h.status)).toEqual(["in_progress", "completed"]);
    await waitUntil(() => fake.checkRunsNamed("sluice/run: boom").length > 0, 60_000, () => JSON.stringify(fake.checkRuns.map((c) => c.name)));
    const boom = fake.checkRunsNamed("sluice/run: boom")[0];
    expect(boom).toMatchObject({ head_sha: expect.stringMatching(/^[0-9a-f]{40}$/), conclusion: "failure" });
    expect(boom?.output.summary).toContain("token is ***");
    expect(JSON.stringify(fake.checkRuns)).not.toContain("sup3r-s3cret-t0ken");

    const runs = await daemon.json<{ job: string; trigger: string; createdAt: string }[]>("runs", "tick");
    const during = runs.filter((r) => Date.parse(r.createdAt) > downAt && Date.parse(r.createdAt) < upAt);
    expect(during.length).toBeGreaterThanOrEqual(2);
    // fired on the minute (a loaded CI machine may wake a few seconds late, never a minute)
    for (const r of during) expect(new Date(r.createdAt).getUTCSeconds()).toBeLessThan(10);
    expect(fake.rejected).toEqual([]);
  }, 600_000);
});
