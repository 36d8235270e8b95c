/**
 * A run of broken pushes while the previous deployment keeps running on time (issue 12, "Bad
 * input"). An in-process daemon (real runtime, Docker executor, real clock) deploys a workspace
 * whose job `tick` runs every minute; then BROKEN_PUSHES pushes (default 20 here; the full 100
 * with `SLUICE_BROKEN_PUSHES=100`: bench/broken-pushes.sh) each end in a failed deployment:
 * every kind in fixtures/broken/, a huge file, a binary `__deployment__.py`, modules symlinked out
 * of the checkout, a `__deployment__.py` that never returns (the worker timeout holds) and one that
 * eats memory (the manifest container's memory limit holds). Version 0 stays active and `tick`
 * keeps its minute: one run per minute, none missed, none doubled.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeRuntime } from "../../cli/compose/runtime.js";
import type { DaemonEvent } from "../../cli/daemon/event-hub.js";
import type { RunningDaemon } from "../../cli/daemon/daemon.js";
import { startDaemon } from "../../cli/daemon/daemon.js";
import { parseDaemonConfig } from "../../cli/daemon/config.js";
import type { InfoView, RunView } from "../../cli/daemon/runtime-types.js";
import { silentLogger } from "../../core/index.js";

const BROKEN = resolve(import.meta.dirname, "../../fixtures/broken");
const PUSHES = Number(process.env.SLUICE_BROKEN_PUSHES ?? "20");
const GOOD = `from dlt.hub.run import job\n\n\n@job(trigger="* * * * *")\ndef tick():\n    print("tick")\n\n\n__all__ = ["tick"]\n`;

/** Writes one broken workspace into `dir` (emptied before, except .git). */
type Kind = { name: string; write: (dir: string) => void };
const fixtureKind = (name: string): Kind => ({ name, write: (dir) => cpSync(join(BROKEN, name), dir, { recursive: true }) });
const withEnv = (dir: string, module: string | Buffer) => {
  cpSync(join(BROKEN, "invalid_trigger"), dir, { recursive: true });
  writeFileSync(join(dir, "__deployment__.py"), module);
};
/** Fixed bytes (NUL, invalid UTF-8), so repeated pushes share git objects. */
const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
const KINDS: Kind[] = [
  ...readdirSync(BROKEN).sort().map(fixtureKind),
  { name: "huge_file", write: (dir) => {
      withEnv(dir, 'raise RuntimeError("broken next to a huge file")\n');
      writeFileSync(join(dir, "huge.bin"), Buffer.alloc(40 * 1024 * 1024, binary));
    } },
  { name: "binary_module", write: (dir) => withEnv(dir, binary) },
  { name: "symlinks_out", write: (dir) => {
      withEnv(dir, "from jobs import tick  # jobs.py points out of the checkout\n\n__all__ = ['tick']\n");
      symlinkSync("/etc/passwd", join(dir, "jobs.py"));
      symlinkSync("../../../../../../../../etc/shadow", join(dir, "shadow.toml"));
      mkdirSync(join(dir, ".dlt"), { recursive: true });
      symlinkSync("/root", join(dir, ".dlt", "outside"));
    } },
  // the two slow kinds last, so the CI run (20 pushes) has each once and the fast ones twice
  { name: "never_returns", write: (dir) => withEnv(dir, "import time\n\nwhile True:\n    time.sleep(60)\n") },
  { name: "eats_memory", write: (dir) => withEnv(dir, "blocks = [b'x' * (256 * 1024 * 1024) for _ in range(64)]\n") },
];

const run = promisify(execFile);
const git = async (cwd: string, ...args: string[]) => (await run("git", ["-c", "user.name=t", "-c", "user.email=t@x", ...args], { cwd })).stdout.trim();

let root: string;
let daemon: RunningDaemon;
const events: Array<{ at: number; event: DaemonEvent }> = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "sluice-broken-pushes-"));
  const options = parseDaemonConfig("executor: docker\nruns: { network: none }\nreconcile: { generateTimeout: 40s, retryAfter: 1h }\n");
  daemon = await startDaemon({
    home: join(root, "home"),
    overrides: { ...options, api: { host: "127.0.0.1", port: 0 }, proxyPort: 0, pollIntervalMs: 300 },
    runtime: composeRuntime,
    logger: silentLogger,
  });
  daemon.hub.subscribe((event) => events.push({ at: Date.now(), event }));
}, 120_000);

afterAll(async () => {
  await daemon?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${daemon.url}${path}`, { headers: { authorization: `Bearer ${daemon.token}` }, signal: AbortSignal.timeout(10_000) });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

/** The deployment event of `sha` (applied or failed), waiting at most `timeoutMs`. */
async function outcomeOf(sha: string, timeoutMs: number): Promise<{ type: string; data: { workspace?: string; cause?: { message?: string; code?: string } } }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const { event } of events) {
      const data = event.data as { commit?: { sha?: string } };
      if (data.commit?.sha === sha && (event.type === "deployment.applied" || event.type === "deployment.failed")) return event as never;
    }
    if (Date.now() > deadline) throw new Error(`no deployment for ${sha} within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

async function tickRuns(): Promise<RunView[]> {
  return (await api<{ runs: RunView[] }>("/v1/runs?job=tick&limit=500")).runs;
}

describe(`${PUSHES} broken pushes in a row`, () => {
  it("each push fails with its cause, version 0 stays active and tick runs once every minute throughout", async () => {
    const work = join(root, "work");
    const { remote } = await daemon.gitops.addRepo({ name: "sec", push: true });
    mkdirSync(work, { recursive: true });
    await git(work, "init", "-q", "-b", "main");
    await git(work, "remote", "add", "sluice", remote ?? "");
    withEnv(work, GOOD);
    await git(work, "add", "-A");
    await git(work, "commit", "-q", "-m", "good");
    await git(work, "push", "-q", "sluice", "main");
    const good = await outcomeOf(await git(work, "rev-parse", "HEAD"), 900_000);
    expect(good.type, JSON.stringify(good.data.cause)).toBe("deployment.applied");
    const workspace = good.data.workspace ?? "sec";
    const appliedAt = Date.now();

    const causes: string[] = [];
    for (let i = 0; i < PUSHES; i++) {
      const kind = KINDS[i % KINDS.length] as Kind;
      for (const entry of readdirSync(work)) if (entry !== ".git") rmSync(join(work, entry), { recursive: true, force: true });
      kind.write(work);
      writeFileSync(join(work, "push.txt"), `${i}\n`); // every push a new tree, never "unchanged"
      await git(work, "add", "-A");
      await git(work, "commit", "-q", "-m", `broken ${i}: ${kind.name}`);
      await git(work, "push", "-q", "sluice", "main");
      const outcome = await outcomeOf(await git(work, "rev-parse", "HEAD"), 180_000);
      expect(outcome.type, `${kind.name}: ${JSON.stringify(outcome.data)}`).toBe("deployment.failed");
      expect(outcome.data.cause?.message, kind.name).toBeTruthy();
      causes.push(`${kind.name}: ${outcome.data.cause?.message?.split("\n")[0] ?? ""}`);
      const info = await api<InfoView>("/v1/info");
      expect(info.workspaces.find((w) => w.name === workspace)?.version, kind.name).toBe(0);
    }
    console.log(causes.join("\n"));
    expect(causes.find((c) => c.startsWith("never_returns"))).toMatch(/did not finish|timed out|timeout/i);

    // at least three minute ticks after the deployment, so "on time" has something to show
    const deadline = Date.now() + 300_000;
    while ((await tickRuns()).filter((r) => r.status === "completed").length < 3) {
      if (Date.now() > deadline) throw new Error("tick did not run three times within 5 minutes");
      await new Promise((done) => setTimeout(done, 2000));
    }
    const runs = (await tickRuns()).filter((r) => r.trigger.startsWith("schedule:"));
    const minutes = runs.map((r) => Math.floor(Date.parse(r.createdAt) / 60_000)).sort((a, b) => a - b);
    // one run per minute from the first tick after the deployment to the last: none missed or doubled
    const first = Math.ceil(appliedAt / 60_000);
    const last = Math.floor(Date.now() / 60_000) - 1;
    const expected = Array.from({ length: Math.max(0, last - first + 1) }, (_, k) => first + k);
    expect(minutes.filter((m) => m >= first && m <= last), causes.join("\n")).toEqual(expected);
    expect(new Set(minutes).size).toBe(minutes.length);
    for (const r of runs) expect(Date.parse(r.createdAt) % 60_000, `run ${r.runId} created late`).toBeLessThan(30_000);
    const finished = runs.filter((r) => r.finishedAt !== null);
    expect(finished.every((r) => r.status === "completed"), JSON.stringify(finished.map((r) => [r.status, r.reason]))).toBe(true);
  }, 1_800_000);
});
