/**
 * Push-to-applied latency of the daemon, printed as numbers (nothing asserted):
 *  - single: `git push` of a commit that changes the workspace → deployment applied by the real
 *    scheduler target (poll + checkout + manifest generation with dlt in the warm environment +
 *    diff + apply). Target: < 3 s. Median/min/max of several pushes.
 *  - bursts of 1, 10 and 100 pushes in quick succession: time from the first push to the
 *    deployment of the last commit, and how many generations ran (coalescing).
 * The daemon runs in-process (`startDaemon` + `composeRuntime`, Docker executor), with a 200 ms
 * poll; a webhook (`POST /v1/hooks/push`) would remove the poll share.
 * Run: npx tsx bench/push-to-applied.ts [--fixture jaffle_shop_workspace] [--runs 5] [--local]
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { appendFileSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { silentLogger } from "../core/index.js";
import { composeRuntime } from "../cli/compose/runtime.js";
import { startDaemon } from "../cli/daemon/daemon.js";
import { parseDaemonConfig } from "../cli/daemon/config.js";
import type { DaemonEvent } from "../cli/daemon/event-hub.js";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const FIXTURE = flag("--fixture", "jaffle_shop_workspace");
const RUNS = Number(flag("--runs", "5"));
const LOCAL = args.includes("--local");

const root = mkdtempSync(join(tmpdir(), "sluice-bench-push-"));
// async on purpose: a synchronous git would block the in-process daemon's poll during a burst
const git = async (cwd: string, ...a: string[]) => (await promisify(execFile)("git", a, { cwd })).stdout.trim();

async function main(): Promise<void> {
  const options = parseDaemonConfig(`executor: ${LOCAL ? "local" : "docker"}\nruns: { network: none }\n`);
  const daemon = await startDaemon({
    home: join(root, "home"),
    overrides: { ...options, api: { host: "127.0.0.1", port: 0 }, proxyPort: 0, pollIntervalMs: 200 },
    runtime: composeRuntime,
    logger: silentLogger,
  });
  const events: Array<{ at: number; event: DaemonEvent }> = [];
  daemon.hub.subscribe((event) => events.push({ at: performance.now(), event }));
  const work = join(root, "work");
  cpSync(resolve(import.meta.dirname, "../fixtures/workspaces", FIXTURE), work, { recursive: true });
  const { remote } = await daemon.gitops.addRepo({ name: "bench", push: true });
  await git(work, "init", "-q", "-b", "main");
  await git(work, "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-q", "--allow-empty", "-m", "init");
  await git(work, "remote", "add", "sluice", remote ?? "");
  const file = join(work, "__deployment__.py");
  let n = 0;
  const commitAndPush = async () => {
    appendFileSync(file, `\n# bench change ${++n}\n`);
    await git(work, "add", "-A");
    await git(work, "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-q", "-m", `change ${n}`);
    await git(work, "push", "-q", "sluice", "main");
    return git(work, "rev-parse", "HEAD");
  };
  const startedFor = (sha: string) => events.find((e) => e.event.type === "reconcile.started" && (e.event.data as { commit?: string }).commit === sha)?.at;
  /** Waits for the deployment of `sha` in the recorded events (so nothing is missed between push and wait). */
  const appliedFor = async (sha: string): Promise<number> => {
    const deadline = performance.now() + 600_000;
    for (;;) {
      for (const { at, event } of events) {
        const data = event.data as { commit?: { sha?: string }; cause?: { message: string } };
        if (data.commit?.sha !== sha) continue;
        if (event.type === "deployment.failed") throw new Error(data.cause?.message ?? "deployment failed");
        if (event.type === "deployment.applied") return at;
      }
      if (performance.now() > deadline) throw new Error(`no deployment for ${sha} within 10 min`);
      await new Promise((done) => setTimeout(done, 5));
    }
  };

  process.stdout.write(`fixture ${FIXTURE}, executor ${LOCAL ? "local" : "docker"}, poll 200 ms\n`);
  const warmStart = performance.now();
  let sha = await commitAndPush();
  await appliedFor(sha);
  process.stdout.write(`first push (environment build or reuse): ${Math.round(performance.now() - warmStart)} ms\n`);

  const singles: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const start = performance.now();
    sha = await commitAndPush();
    const pushed = performance.now();
    const at = await appliedFor(sha);
    singles.push(at - start);
    const picked = startedFor(sha) ?? at;
    process.stdout.write(`  push ${i + 1}: ${Math.round(at - start)} ms = git commit+push ${Math.round(pushed - start)} + poll wait ${Math.round(picked - pushed)} + reconcile pass (checkout, dlt manifest, diff, apply) ${Math.round(at - picked)}\n`);
  }
  singles.sort((a, b) => a - b);
  process.stdout.write(`single push → applied, warm: median ${Math.round(singles[Math.floor(singles.length / 2)] ?? 0)} ms, min ${Math.round(singles[0] ?? 0)}, max ${Math.round(singles[singles.length - 1] ?? 0)} (target < 3000 ms)\n`);

  for (const burst of [1, 10, 100]) {
    const before = events.length;
    const start = performance.now();
    let last = "";
    for (let i = 0; i < burst; i += 1) last = await commitAndPush();
    const pushedMs = performance.now() - start;
    const at = await appliedFor(last);
    await daemon.gitops.whenIdle();
    const window = events.slice(before);
    const generations = window.filter((e) => e.event.type === "reconcile.started").length;
    const applied = window.filter((e) => e.event.type === "deployment.applied").length;
    process.stdout.write(`burst of ${burst}: pushes took ${Math.round(pushedMs)} ms; last commit applied ${Math.round(at - start)} ms after the first push; ${generations} generation(s), ${applied} deployment(s) applied\n`);
  }
  await daemon.stop();
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(root, { recursive: true, force: true }));
