/**
 * Engine faults with real parts: the disk under the run logs fills up (a 1 MiB tmpfs, root only),
 * and another process holds the SQLite file's write lock for a few seconds while the scheduler
 * fires runs. Each: a clear reason where it shows, recovery without a manual step, nothing lost.
 * Docker unreachable at boot: the engine's socket is a proxy to the shared dockerd that starts
 * listening only after a while (the shared dockerd itself is never stopped). The git remote going
 * away: its directory is renamed away and back. The engine going away under a running run: the
 * executor talks to dockerd through such a proxy, which is closed (every connection cut) and
 * opened again — what Sluice sees when dockerd restarts.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { connect, createServer, type Server } from "node:net";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SystemClock, VirtualClock, createLogger, openDatabase, type LogRecord } from "../../core/index.js";
import { BranchWatcher, createGitCli, remoteSource } from "../../reconciler/git/index.js";
import { createDockerodeEngine, waitForEngine } from "../../runner/docker/index.js";
import { createLogStore, type LogLine } from "../../runner/logs/log-store.js";
import { Scheduler, SchedulerStore, SimulatedExecutor } from "../../runner/scheduler/index.js";
import { checkRuns, soakJob } from "../../bench/soak-core.js";
import { WorkingRepo, git } from "../reconcile-support.js";
import { fakeLauncher } from "../support/fake-launcher.js";
import { createRunHome } from "../support/run-home.js";
import { waitUntil, within } from "../support/wait.js";
import { writeFiles } from "../support/workspaces.js";
import { prepareRun, type RunnableJob } from "../../runner/executors/index.js";
import { ensureBaseImage } from "../../runner/images/index.js";

const root = mkdtempSync(join(tmpdir(), "sluice-engine-faults-"));
const children: ChildProcess[] = [];
const mounts: string[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of mounts) await within(spawnSyncQuiet("umount", [dir]), `umount ${dir}`, 10_000);
  rmSync(root, { recursive: true, force: true });
});

function spawnSyncQuiet(command: string, args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "ignore" });
    child.on("error", () => resolve(null));
    child.on("exit", (code) => resolve(code));
  });
}

/** Appends to a filler file until the filesystem says ENOSPC even for a single byte. */
function fillDisk(file: string): void {
  writeFileSync(file, "");
  for (const size of [64 * 1024, 1024, 1]) {
    const chunk = Buffer.alloc(size, 120);
    for (;;) {
      try {
        writeFileSync(file, chunk, { flag: "a" });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOSPC") break;
        throw error;
      }
    }
  }
}

/** The disk-full case needs to mount a tmpfs (root with CAP_SYS_ADMIN); probed once. */
function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = join(root, "mount-probe");
  mkdirSync(probe);
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], { stdio: "ignore", timeout: 10_000 }).status === 0;
  if (mounted) spawnSync("umount", [probe], { stdio: "ignore", timeout: 10_000 });
  return mounted;
}
const mountable = canMountTmpfs();

describe("disk full while writing run logs", () => {
  it.skipIf(!mountable)(
    "appends never throw while the disk is full, live subscribers still get every line, the failure is reported once, and after space frees a system line counts the lost lines",
    async () => {
      const dir = join(root, "logs-tmpfs");
      mkdirSync(dir);
      expect(await within(spawnSyncQuiet("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]), "mount tmpfs", 10_000)).toBe(0);
      mounts.push(dir);
      const errors: string[] = [];
      const store = createLogStore({ dir: join(dir, "logs"), onWriteError: (runId, error) => errors.push(`${runId}: ${(error as NodeJS.ErrnoException).code}`) });
      const live: LogLine[] = [];
      store.subscribe("run-1", { onLine: (line) => live.push(line) });
      store.append("run-1", "stdout", "before the disk filled");
      fillDisk(join(dir, "filler"));
      for (let i = 0; i < 5; i++) expect(() => store.append("run-1", "stdout", `line ${i} while full ${"x".repeat(8192)}`)).not.toThrow();
      expect(errors).toEqual(["run-1: ENOSPC"]);
      rmSync(join(dir, "filler"));
      store.append("run-1", "stdout", "after space came back");

      const stored = store.read("run-1").lines;
      expect(stored.map((line) => line.text)).toEqual([
        "before the disk filled",
        "5 log line(s) of this run were not stored: writing " + join(dir, "logs") + " failed (ENOSPC); free disk space there",
        "after space came back",
      ]);
      expect(stored.map((line) => line.seq)).toEqual([1, 7, 8]);
      expect(live.map((line) => line.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    },
    30_000,
  );
});

/** A second process that takes SQLite's write lock on `file`, says "locked", and holds it for `holdMs`. */
function holdWriteLock(file: string, holdMs: number): ChildProcess {
  const script = `const D = require("better-sqlite3"); const db = new D(${JSON.stringify(file)});
db.exec("BEGIN EXCLUSIVE"); process.stdout.write("locked\\n");
setTimeout(() => { db.exec("COMMIT"); db.close(); }, ${holdMs});`;
  const child = spawn(process.execPath, ["-e", script], { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  return child;
}

function lockTaken(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (data: Buffer) => {
      if (data.toString().includes("locked")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`lock holder exited with ${code} before taking the lock`)));
  });
}

/** 5 jobs on every:1m on the real scheduler and a SQLite file of their own, runs lasting 20 s, on a virtual clock at midnight. */
async function fiveMinutelyJobs(name: string) {
  const file = join(root, `${name}.sqlite`);
  const startMs = Date.parse("2026-04-14T00:00:00Z");
  const clock = new VirtualClock(startMs);
  const db = openDatabase(file);
  const scheduler = new Scheduler({ clock, store: new SchedulerStore(db), executor: new SimulatedExecutor(clock, { runDurationMs: 20_000 }) });
  await scheduler.start();
  scheduler.deploy({ manifest: { jobs: Array.from({ length: 5 }, (_, i) => soakJob(i)) } });
  return { file, startMs, clock, db, scheduler };
}

describe("SQLite file locked by another process", () => {
  it("a write lock held for 9 s, past the 5 s busy timeout: the refused completion is retried, so no run is left running and none is lost or duplicated", async () => {
    const { file, startMs, clock, db, scheduler } = await fiveMinutelyJobs("locked-long");
    clock.advanceTo(startMs + 3 * 60_000);

    const holder = holdWriteLock(file, 9_000);
    await within(lockTaken(holder), "the second process to take the write lock", 15_000);
    const t = performance.now();
    clock.advanceTo(startMs + 4 * 60_000); // the first write waits 5 s and is refused; its retry waits for the release
    const blockedMs = performance.now() - t;
    clock.advanceTo(startMs + 6 * 60_000 + 30_000);
    scheduler.stop();

    const check = checkRuns(db, 5, startMs, startMs + 6 * 60_000);
    const open = db.prepare("SELECT COUNT(*) AS n FROM sched_runs WHERE status IN ('pending', 'starting', 'running')").get() as { n: number };
    db.close();
    expect(blockedMs).toBeGreaterThan(5_500);
    expect(open.n).toBe(0);
    expect(check).toMatchObject({ expectedRuns: 30, runRecords: 30, lost: 0, duplicated: 0, nonContiguousJobs: 0, unsuccessful: 0 });
  }, 60_000);


  it("a write lock held for 12 s across a tick, past the 5 s busy timeout: the ticks refused as busy fire again once the lock is gone (their windows end within 30 s of the minute), so every job has its 7 runs, windows contiguous, and no trigger stops", async () => {
    const { file, startMs, clock, db, scheduler } = await fiveMinutelyJobs("locked-tick");
    clock.advanceTo(startMs + 3 * 60_000 + 30_000); // minute 3's runs have finished: the next write is minute 4's tick

    const holder = holdWriteLock(file, 12_000);
    await within(lockTaken(holder), "the second process to take the write lock", 15_000);
    clock.advanceTo(startMs + 4 * 60_000); // the tick's writes are refused after 5 s each
    await within(new Promise((resolve) => holder.once("exit", resolve)), "the lock holder to exit", 30_000);
    for (let s = 1; s <= 60; s++) clock.advanceTo(startMs + 4 * 60_000 + s * 1_000); // retries 1 s apart
    clock.advanceTo(startMs + 7 * 60_000 + 30_000);
    scheduler.stop();

    const check = checkRuns(db, 5, startMs, startMs + 7 * 60_000);
    // a tick fired again after the lock starts a little late: its window ends when it started (as after any late wake)
    const ends = db.prepare("SELECT job_ref AS job, interval_end_ms AS end FROM sched_runs ORDER BY job_ref, interval_end_ms").all() as Array<{ job: string; end: number }>;
    db.close();
    expect(check).toMatchObject({ runRecords: 35, duplicated: 0, nonContiguousJobs: 0, unsuccessful: 0 });
    for (let i = 0; i < 5; i++) {
      const offsets = ends.filter((r) => r.job === soakJob(i).job_ref).map((r) => r.end - startMs);
      expect(offsets).toHaveLength(7);
      offsets.forEach((offset, k) => {
        expect(offset).toBeGreaterThanOrEqual((k + 1) * 60_000);
        expect(offset).toBeLessThan((k + 1) * 60_000 + 30_000);
      });
    }
  }, 90_000);

  it("a write lock held for 3 s delays the scheduler's writes but loses and duplicates no run: every minute of 5 every:1m jobs has one completed run, windows contiguous", async () => {
    const { file, startMs, clock, db, scheduler } = await fiveMinutelyJobs("locked");
    clock.advanceTo(startMs + 3 * 60_000);

    const holder = holdWriteLock(file, 3_000);
    await within(lockTaken(holder), "the second process to take the write lock", 15_000);
    const t = performance.now();
    clock.advanceTo(startMs + 4 * 60_000); // blocks in SQLite's busy wait until the lock is released
    const blockedMs = performance.now() - t;
    clock.advanceTo(startMs + 6 * 60_000 + 30_000);
    scheduler.stop();

    const check = checkRuns(db, 5, startMs, startMs + 6 * 60_000);
    db.close();
    expect(blockedMs).toBeGreaterThan(500);
    expect(check).toMatchObject({ expectedRuns: 30, runRecords: 30, lost: 0, duplicated: 0, nonContiguousJobs: 0, unsuccessful: 0 });
  }, 60_000);
});

/** A unix socket that forwards every connection to the real Docker socket: "dockerd is back". */
function dockerProxy(path: string): Promise<Server> {
  const target = (process.env.DOCKER_HOST ?? "").replace(/^unix:\/\//, "") || "/var/run/docker.sock";
  const open = new Set<{ destroy(): void }>();
  const server = createServer((client) => {
    const upstream = connect(target);
    open.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
  });
  const close = server.close.bind(server);
  // keep-alive connections would hold close() open: end them first
  server.close = (callback) => {
    for (const socket of open) socket.destroy();
    return close(callback);
  };
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve(server));
  });
}

describe("Docker unreachable at boot, then back", () => {
  it("boot keeps pinging while the socket is absent, reports each wait, and goes on once the engine answers (no manual step); with no engine it gives up at the deadline", async () => {
    const socket = join(root, "docker-proxy.sock");
    const engine = createDockerodeEngine({ socketPath: socket });
    expect(await waitForEngine(engine, { timeoutMs: 600, intervalMs: 200 })).toBe(false);

    const waits: number[] = [];
    const waiting = waitForEngine(engine, { timeoutMs: 30_000, intervalMs: 200, onWaiting: (ms) => waits.push(ms) });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const proxy = await within(dockerProxy(socket), "the proxy socket to listen", 10_000);
    try {
      expect(await within(waiting, "boot to see the engine answer", 40_000)).toBe(true);
      expect(waits.length).toBeGreaterThanOrEqual(2);
      expect(await engine.imageExists("sluice-engine-faults/no-such-image:0")).toBe(false);
    } finally {
      await within(new Promise((resolve) => proxy.close(resolve)), "the proxy to close", 10_000);
    }
  }, 60_000);
});

describe("git remote unreachable for a while", () => {
  it("a poll while the remote is gone logs the failure, keeps the last head and reports the failure (attempts, error) until a poll works; the first poll after it is back reports the commit pushed meanwhile, once", async () => {
    const upstream = join(root, "upstream.git");
    const away = join(root, "upstream-away.git");
    git(root, "init", "--quiet", "--bare", "--initial-branch=main", upstream);
    const work = WorkingRepo.init(join(root, "work"), upstream);
    const first = work.write("ws/f.txt", "1").commit("c1");
    work.push();

    const records: LogRecord[] = [];
    const logger = createLogger("test", { sink: (record) => records.push(record) });
    const heads: string[] = [];
    const watcher = new BranchWatcher({ clock: new SystemClock(), intervalMs: 60_000, onHead: (h) => heads.push(h.sha), logger });
    const source = remoteSource(createGitCli(), { url: upstream, branch: "main", mirrorsDir: join(root, "mirrors") });
    watcher.add(source);
    await within(watcher.pollAll(), "the first poll", 30_000);
    expect(heads).toEqual([first]);

    renameSync(upstream, away);
    const second = work.write("ws/f.txt", "2").commit("c2");
    git(work.dir, "push", "--quiet", away, "HEAD:main"); // pushed while the daemon cannot reach the remote
    await within(watcher.pollAll(), "a poll with the remote gone", 30_000);
    await within(watcher.pollAll(), "a second poll with the remote gone", 30_000);
    expect(heads).toEqual([first]);
    const failures = records.filter((r) => r.msg === "branch poll failed");
    expect(failures.length).toBe(2);
    expect(String(failures[0]?.error)).toMatch(/upstream\.git/);
    const key = source.key;
    expect(watcher.failure(key)).toMatchObject({ attempts: 2, error: expect.stringMatching(/upstream\.git/) });

    renameSync(away, upstream);
    await within(watcher.pollAll(), "a poll with the remote back", 30_000);
    await within(watcher.pollAll(), "one more poll", 30_000);
    expect(heads).toEqual([first, second]);
    expect(watcher.failure(key)).toBeNull();
    expect(records.filter((r) => r.msg === "branch poll works again").map((r) => r.attempts)).toEqual([2]);
  }, 90_000);
});

const TICKS = 16;
const TICKER = fakeLauncher(`
import time
for i in range(1, ${TICKS + 1}):
    print("tick", i, flush=True)
    time.sleep(0.5)
`);

describe("the Docker engine away under a running run", () => {
  const realEngine = createDockerodeEngine();
  const job: RunnableJob = {
    job_ref: "jobs.ticker.tick",
    entry_point: { module: "ticker", function: "tick", job_type: "batch", launcher: "ticker_launcher" },
    execute: { timeout: { timeout: 300, grace_period: 5 } },
  };

  /** A run of the ticker through an engine behind a proxy socket that the test can cut and restore. */
  async function tickerRun(name: string, engineReconnectMs: number) {
    const socket = join(root, `${name}.sock`);
    let proxy = await within(dockerProxy(socket), "the proxy socket to listen", 10_000);
    const runHome = createRunHome(`sluice-engine-away-${name}-`);
    const ws = join(runHome.home, "ws");
    writeFiles(ws, { ".dlt/.workspace": "", ".dlt/config.toml": "", "ticker_launcher.py": TICKER });
    const image = (await ensureBaseImage(realEngine)).tag;
    const executor = runHome.dockerExecutor({
      engine: createDockerodeEngine({ socketPath: socket }),
      environmentFor: async () => ({ image, python: "/usr/bin/python3" }),
      network: "none",
      instance: `engine-away-${process.pid}`,
      engineReconnectMs,
    });
    const runId = `away-${name}-${Date.now()}`;
    const run = await executor.start(prepareRun(job, { name: "ws", dir: ws, deploymentVersion: 1 }, { runId, trigger: "manual:jobs.ticker.tick", refresh: false }, runHome.context, runHome.clock.now()));
    const lines = (stream: string) => runHome.logStore.read(runId).lines.filter((l) => l.stream === stream).map((l) => l.text);
    const cut = () => within(new Promise((resolve) => proxy.close(resolve)), "the proxy to close", 10_000);
    const restore = async () => {
      rmSync(socket, { force: true });
      proxy = await within(dockerProxy(socket), "the proxy socket to listen again", 10_000);
    };
    const container = async () => (await realEngine.listContainers({ "sluice.run-id": runId }))[0];
    return { run, lines, cut, restore, container, close: () => proxy.close() };
  }

  const expectedTicks = (n: number) => Array.from({ length: n }, (_, i) => `tick ${i + 1}`);

  it("the engine away for 3 s while the container keeps running: the run is followed again, completes with exit 0, each line stored once", async () => {
    const t = await tickerRun("back", 60_000);
    try {
      await waitUntil(() => t.lines("stdout").includes("tick 3"), "tick 3", 60_000);
      await t.cut();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await t.restore();
      const outcome = await within(t.run.outcome, "the run to end", 60_000);
      expect(outcome).toMatchObject({ status: "completed", exitCode: 0 });
      expect(t.lines("stdout")).toEqual(expectedTicks(TICKS));
      const system = t.lines("system").join("\n");
      expect(system).toMatch(/lost contact with the Docker engine .*waiting up to 60s/);
      expect(system).toMatch(/the Docker engine answers again after [\d.]+s; the run's container is running, following it again/);
      expect(await t.container()).toBeUndefined();
    } finally {
      t.close();
    }
  }, 120_000);

  it("the container killed while the engine is away (as a dockerd restart stops it): the run ends failed with exit 137 once the engine is back, its lines stored once", async () => {
    const t = await tickerRun("killed", 60_000);
    try {
      await waitUntil(() => t.lines("stdout").includes("tick 2"), "tick 2", 60_000);
      await t.cut();
      const id = (await t.container())?.id ?? "";
      spawnSync("docker", ["kill", id], { stdio: "ignore" });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await t.restore();
      const outcome = await within(t.run.outcome, "the run to end", 60_000);
      expect(outcome).toMatchObject({ status: "failed", exitCode: 137, reason: "exit code 137 (killed: SIGKILL or out of memory)" });
      const stdout = t.lines("stdout");
      expect(stdout).toEqual(expectedTicks(stdout.length));
      expect(stdout.length).toBeGreaterThanOrEqual(2);
      expect(t.lines("system").join("\n")).toMatch(/the run's container is exited, following it again/);
      expect(await t.container()).toBeUndefined();
    } finally {
      t.close();
    }
  }, 120_000);

  it("the engine away longer than the reconnect wait (3 s here): the run ends failed, reason 'lost: the Docker engine did not answer within 3s …'", async () => {
    const t = await tickerRun("gone", 3_000);
    const id = (await t.container())?.id ?? "";
    try {
      await waitUntil(() => t.lines("stdout").includes("tick 1"), "tick 1", 60_000);
      await t.cut();
      const outcome = await within(t.run.outcome, "the run to end", 60_000);
      expect(outcome.status).toBe("failed");
      expect(outcome.reason).toMatch(/^lost: the Docker engine did not answer within 3s after the connection broke$/);
    } finally {
      spawnSync("docker", ["rm", "-f", id], { stdio: "ignore" });
    }
  }, 120_000);
});
