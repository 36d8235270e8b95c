/**
 * Secrets never appear anywhere but the secret store (issue 12, "Security"): after a Docker run
 * that read a stored secret and printed it, the secret is in no file under the daemon home (logs,
 * SQLite run records and history, checkouts, data dirs, overlays), in no API answer, in no daemon
 * event (what SSE sends), in no `docker inspect` of the run's image, and the run's own output shows
 * the mask instead. test/execution-fixtures-secrets.test.ts covers the container's inspect while it
 * runs and the data files of a real source.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeRuntime } from "../../cli/compose/runtime.js";
import type { DaemonEvent } from "../../cli/daemon/event-hub.js";
import type { RunningDaemon } from "../../cli/daemon/daemon.js";
import { startDaemon } from "../../cli/daemon/daemon.js";
import { parseDaemonConfig } from "../../cli/daemon/config.js";
import type { RunView, TriggerView } from "../../cli/daemon/runtime-types.js";
import { silentLogger } from "../../core/index.js";
import { createSecretStore } from "../../runner/secrets/index.js";

const ENV_FIXTURE = resolve(import.meta.dirname, "../../fixtures/broken/invalid_trigger");
const SECRET = `sk_scan_${randomBytes(16).toString("hex")}`;
const MODULE = [
  "import dlt",
  "from dlt.hub.run import job",
  "",
  "",
  "@job",
  "def leak():",
  '    token = dlt.secrets["sources.demo.token"]',
  '    print("token is", token)',
  '    print("token length", len(token))',
  "",
  "",
  '__all__ = ["leak"]',
  "",
].join("\n");

const run = promisify(execFile);
const git = async (cwd: string, ...args: string[]) => (await run("git", ["-c", "user.name=t", "-c", "user.email=t@x", ...args], { cwd })).stdout.trim();

let root: string;
let daemon: RunningDaemon;
const events: DaemonEvent[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "sluice-secret-scan-"));
  const options = parseDaemonConfig("executor: docker\nruns: { network: none }\nmachines: { default: { cpus: 0.5, memoryMb: 512 } }\n");
  daemon = await startDaemon({
    home: join(root, "home"),
    overrides: { ...options, api: { host: "127.0.0.1", port: 0 }, proxyPort: 0, pollIntervalMs: 300 },
    runtime: composeRuntime,
    logger: silentLogger,
  });
  daemon.hub.subscribe((event) => events.push(event));
}, 120_000);

afterAll(async () => {
  await daemon?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function api(path: string, init: RequestInit = {}): Promise<string> {
  const res = await fetch(`${daemon.url}${path}`, { ...init, headers: { authorization: `Bearer ${daemon.token}`, "content-type": "application/json" }, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  expect(res.status, `${path}: ${text}`).toBeLessThan(300);
  return text;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 500));
  }
}

/** Every file under `dir` (not following links) whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((entry) => join(dir, entry))
    .filter((path) => statSync(path, { throwIfNoEntry: false })?.isFile() && readFileSync(path).includes(needle));
}

interface ContainerInspect {
  Name: string;
  Config: { User: string; Labels: Record<string, string>; Env: string[] };
  HostConfig: { SecurityOpt: string[] | null; Memory: number; NanoCpus: number; Privileged: boolean; CapAdd: string[] | null; Binds: string[] | null };
  Mounts: Array<{ Source: string; Destination: string; RW: boolean }>;
}

/** No Docker socket, read-only workspace, no new privileges, not privileged, the default machine's limits. */
function expectHardened(c: ContainerInspect): void {
  expect(c.Mounts.some((m) => m.Source.includes("docker.sock") || m.Destination.includes("docker.sock"))).toBe(false);
  expect(c.Mounts.find((m) => m.Destination === "/workspace")?.RW).toBe(false);
  expect(c.HostConfig.SecurityOpt).toContain("no-new-privileges");
  expect(c.HostConfig.Privileged).toBe(false);
  expect(c.HostConfig.CapAdd ?? []).toEqual([]);
  expect(c.HostConfig.Memory).toBe(512 * 1024 * 1024);
  expect(c.HostConfig.NanoCpus).toBe(0.5e9);
  // decision (docs/reliability.md, Security): runs keep the image's root user; no-new-privileges,
  // no socket, no capabilities added and a read-only workspace bound what root can do
  expect(c.Config.User).toBe("");
}

describe("secret scan after a run that used a secret", () => {
  it("the run container is hardened, and the secret is only in the secret store: not in files under the home, API answers, events, the container or the image", async () => {
    const home = join(root, "home");
    const work = join(root, "work");
    const { remote } = await daemon.gitops.addRepo({ name: "vault", push: true });
    mkdirSync(work, { recursive: true });
    cpSync(ENV_FIXTURE, work, { recursive: true });
    writeFileSync(join(work, "__deployment__.py"), MODULE);
    await git(work, "init", "-q", "-b", "main");
    await git(work, "add", "-A");
    await git(work, "commit", "-q", "-m", "leak job");
    await git(work, "push", "-q", remote ?? "", "main");
    const applied = await waitFor("no deployment", 900_000, async () => events.find((e) => e.type === "deployment.applied" || e.type === "deployment.failed"));
    expect(applied.type, JSON.stringify(applied.data)).toBe("deployment.applied");
    const workspace = (applied.data as { workspace: string }).workspace;

    createSecretStore(join(home, "secrets")).set(workspace, "prod", `[sources.demo]\ntoken = "${SECRET}"\n`);
    const trigger = JSON.parse(await api("/v1/trigger", { method: "POST", body: JSON.stringify({ selectors: ["leak"] }) })) as TriggerView;
    const runId = trigger.runs[0]?.runId ?? "";
    const inspect = await waitFor("no running container for the run", 300_000, async () => {
      const ids = (await run("docker", ["ps", "-q", "--filter", "label=sluice.managed=true"])).stdout.split("\n").filter(Boolean);
      if (ids.length === 0) return undefined;
      const all = JSON.parse((await run("docker", ["inspect", ...ids], { maxBuffer: 16 * 1024 * 1024 })).stdout) as ContainerInspect[];
      return all.find((c) => JSON.stringify(c.Config.Labels).includes(runId) || c.Name.includes(runId.slice(-12)));
    });
    expectHardened(inspect);
    expect(JSON.stringify(inspect)).not.toContain(SECRET);
    const done = await waitFor("the run did not finish", 300_000, async () => {
      const view = (JSON.parse(await api(`/v1/runs/${runId}`)) as { run: RunView }).run;
      return view.finishedAt ? view : undefined;
    });
    const logs = await api(`/v1/runs/${runId}/logs`);
    expect(done.status, logs).toBe("completed");
    expect(logs).toContain("token is ***");
    expect(logs).toContain(`token length ${SECRET.length}`);

    const answers = await Promise.all(
      ["/v1/runs", `/v1/runs/${runId}`, `/v1/runs/${runId}/logs`, "/v1/info", "/v1/jobs", "/v1/jobs/leak", "/v1/dashboard/jobs", `/v1/workspaces/${workspace}/deployments`, "/v1/repos"].map((p) => api(p)),
    );
    for (const answer of answers) expect(answer).not.toContain(SECRET);
    expect(JSON.stringify(events)).not.toContain(SECRET);
    expect(filesContaining(home, SECRET).map((p) => p.slice(home.length + 1))).toEqual([join("secrets", workspace, "prod.secrets.toml")]);
    expect(filesContaining(work, SECRET)).toEqual([]);
    // the workspace image (and its base) as docker describes them: config, env, labels, layer history
    const images = (await run("docker", ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=sluice/*"])).stdout.split("\n").filter(Boolean);
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) {
      expect((await run("docker", ["image", "inspect", image], { maxBuffer: 16 * 1024 * 1024 })).stdout, image).not.toContain(SECRET);
      expect((await run("docker", ["history", "--no-trunc", image], { maxBuffer: 16 * 1024 * 1024 })).stdout, image).not.toContain(SECRET);
    }
  }, 1_200_000);
});
