/**
 * `sluice dashboard` as a user drives it: a real `sluice up` daemon, the dashboard in a real
 * terminal (tmux), keys sent with send-keys and the screen read with capture-pane. A job
 * triggered from the dashboard shows as running, its log lines appear while it runs, and it
 * turns completed on screen.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonProcess, waitUntil } from "./daemon-e2e-support.js";

const BIN = resolve(import.meta.dirname, "../bin/sluice.js");
const NO_DEPS = resolve(import.meta.dirname, "../fixtures/workspaces/no_deps_workspace");
// one line every 1.5 s: the test sees early lines on screen while later ones are not written yet
const TICKER = `"""Prints five ticks slowly, then loads two rows."""
import time

import dlt

if __name__ == "__main__":
    for n in range(1, 6):
        print(f"tick {n} of 5", flush=True)
        time.sleep(1.5)
    pipeline = dlt.pipeline(pipeline_name="ticker", destination="duckdb", dataset_name="ticker_data")
    print(pipeline.run([{"n": 1}, {"n": 2}], table_name="ticks"), flush=True)
`;

class Tmux {
  readonly socket = `sluice-dash-${process.pid}`;
  constructor(readonly session: string) {}
  private tmux(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.socket, ...args], { encoding: "utf8" });
  }
  /** Runs `command` in `cwd` (outside the repo: the CLI must not depend on the repo's tsconfig). */
  start(command: string[], env: Record<string, string>, cwd: string): void {
    const exports = Object.entries(env).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    this.tmux("new-session", "-d", "-s", this.session, "-x", "120", "-y", "32", `cd ${JSON.stringify(cwd)} && env ${exports.join(" ")} ${command.map((c) => JSON.stringify(c)).join(" ")}; echo "dashboard exited $?"; sleep 600`);
  }
  keys(...keys: string[]): void {
    this.tmux("send-keys", "-t", this.session, ...keys);
  }
  screen(): string {
    return this.tmux("capture-pane", "-p", "-t", this.session);
  }
  kill(): void {
    try {
      this.tmux("kill-server");
    } catch {
      // already gone
    }
  }
}

describe("sluice dashboard in a terminal against a real daemon", () => {
  const root = mkdtempSync(join(tmpdir(), "sluice-dashboard-"));
  const daemon = new DaemonProcess(join(root, "home"));
  const tmux = new Tmux("dash");
  const dir = join(root, "ticker");

  beforeAll(async () => {
    cpSync(NO_DEPS, dir, { recursive: true });
    rmSync(join(dir, "hello_pipeline.py"));
    writeFileSync(join(dir, "ticker.py"), TICKER);
    await daemon.start("api: { port: 0 }\nproxy: { port: 0 }\nruns: { network: bridge }\n");
    const deployed = await daemon.cli("deploy", dir, "--file", "ticker.py");
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
  });
  afterAll(async () => {
    tmux.kill();
    await daemon.stop();
    daemon.removeContainers();
    rmSync(root, { recursive: true, force: true });
  });

  const waitScreen = (what: string, check: (screen: string) => boolean, timeoutMs: number) =>
    waitUntil(() => check(tmux.screen()), timeoutMs, () => `${what}; screen:\n${tmux.screen()}\ndaemon:\n${daemon.output.slice(-3000)}`);

  it("without a terminal it exits 1 and points at `sluice info`", async () => {
    const piped = await daemon.cli("dashboard");
    expect(piped.code).toBe(1);
    expect(piped.stderr).toContain("needs an interactive terminal");
    expect(piped.stderr).toContain("sluice info");
  });

  // CI=true (as on the CI machine): Ink alone would draw nothing until it exits; the dashboard must draw anyway
  it("with CI=true in its environment, t + y triggers the job: the row shows running, `l` shows its log lines live, then the row shows completed", async () => {
    tmux.start([process.execPath, BIN, "dashboard", "--home", daemon.home], { NO_COLOR: "1", TERM: "xterm-256color", CI: "true" }, dir);
    await waitScreen("the job list with ticker", (s) => /› \S ticker\s/.test(s), 60_000);
    expect(tmux.screen()).toContain("ticker v0");

    tmux.keys("t");
    await waitScreen("the trigger confirmation", (s) => s.includes("trigger ticker (ticker/jobs.ticker)?"), 10_000);
    tmux.keys("y");
    await waitScreen("the trigger notice", (s) => s.includes("▶ triggered ticker: run #1"), 10_000);
    await waitScreen("the row running", (s) => /ticker\s.*▶ running/.test(s), 300_000);

    tmux.keys("l");
    await waitScreen("the first log line", (s) => s.includes("tick 1 of 5"), 60_000);
    const early = tmux.screen();
    expect(early).toContain("● live");
    expect(early).not.toContain("tick 5 of 5");
    await waitScreen("the last tick while following", (s) => s.includes("tick 5 of 5"), 60_000);
    await waitScreen("the log complete", (s) => s.includes("■ log complete"), 120_000);

    tmux.keys("Escape");
    await waitScreen("the row completed", (s) => /ticker\s.*✓ completed/.test(s), 60_000);
  });

  it("a daemon restart shows the unreachable banner, then the dashboard reconnects on its own and keeps the job's history", async () => {
    await daemon.stop();
    await waitScreen("the unreachable banner", (s) => s.includes("⚠ daemon unreachable"), 30_000);
    await daemon.start("api: { port: 0 }\nproxy: { port: 0 }\nruns: { network: bridge }\n");
    await waitScreen("the banner gone", (s) => !s.includes("daemon unreachable") && /ticker\s.*✓ completed/.test(s), 60_000);
    expect(tmux.screen()).toContain(daemon.url);
    tmux.keys("q");
    await waitScreen("the dashboard ended with exit code 0", (s) => s.includes("dashboard exited 0"), 10_000);
  });
});
