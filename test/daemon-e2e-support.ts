/** A `sluice up` child process with a temp home, and the `sluice` CLI run against it (real git, Docker, dlt). */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { RunView } from "../cli/daemon/runtime-types.js";

const BIN = resolve(import.meta.dirname, "../bin/sluice.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class DaemonProcess {
  private child: ChildProcess | undefined;
  output = "";

  constructor(readonly home: string) {}

  /** `env`: extra environment of the `sluice up` process (e.g. `SLUICE_CRASH_AT`, core/crash-point.ts). */
  async start(config: string, timeoutMs = 60_000, env: Record<string, string> = {}): Promise<void> {
    mkdirSync(this.home, { recursive: true });
    writeFileSync(join(this.home, "sluice.yaml"), config);
    this.child = spawn(process.execPath, [BIN, "up", "--home", this.home], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    this.child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    await waitUntil(() => existsSync(join(this.home, "daemon.json")), timeoutMs, () => `daemon did not start:\n${this.output}`);
  }

  get url(): string {
    return (JSON.parse(readFileSync(join(this.home, "daemon.json"), "utf8")) as { url: string }).url;
  }

  /** Waits (at most `timeoutMs`) until the `sluice up` process ended; returns how (exit code or signal). */
  async waitExit(timeoutMs: number): Promise<string> {
    const child = this.child;
    if (!child) return "not started";
    await waitUntil(() => child.exitCode !== null || child.signalCode !== null, timeoutMs, () => `the daemon did not end\n${this.output.slice(-3000)}`);
    return child.signalCode ?? String(child.exitCode);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    child.kill("SIGTERM");
    await Promise.race([exited, sleep(40_000)]);
    if (child.exitCode === null) child.kill("SIGKILL");
  }

  /**
   * After `stop()`: removes the run containers this home left behind (a stopped daemon leaves
   * batch runs running for the next start, docs/daemon.md); only this home's instance label.
   */
  removeContainers(): void {
    const instance = createHash("sha256").update(this.home).digest("hex").slice(0, 16);
    const ids = execFileSync("docker", ["ps", "-aq", "--filter", `label=sluice.instance=${instance}`], { encoding: "utf8" }).split("\n").filter(Boolean);
    if (ids.length > 0) execFileSync("docker", ["rm", "-f", ...ids], { stdio: "ignore" });
  }

  cli(...args: string[]): Promise<CliResult> {
    return this.exec(args);
  }

  async json<T>(...args: string[]): Promise<T> {
    return parseJson<T>(args, await this.cli(...args, "--output", "json"));
  }

  /** Waits until run `runId` of `job` has ended (any status but pending, starting, running) and returns it. */
  async settledRun(job: string, runId: string, timeoutMs: number): Promise<RunView> {
    let found: RunView | undefined;
    await waitUntil(
      async () => (found = (await this.json<RunView[]>("runs", job, "--limit", "100")).find((r) => r.runId === runId && !["pending", "starting", "running"].includes(r.status))) !== undefined,
      timeoutMs,
      () => `run ${runId} of ${job} did not end\n${this.output.slice(-3000)}`,
    );
    return found as RunView;
  }

  /**
   * The CLI as a user types it in `cwd` (bare job names resolve in the workspace folder they are
   * in). `SLUICE_HOME` is set too, so commands without `--home` (`secrets`) reach this home.
   */
  at(cwd: string): Shell {
    return {
      cli: (...args) => this.exec(args, { cwd }),
      json: async <T>(...args: string[]) => parseJson<T>(args, await this.exec([...args, "--output", "json"], { cwd })),
      plain: (...args) => this.exec(args, { cwd, homeFlag: false }),
    };
  }

  private exec(args: string[], options: { cwd?: string; homeFlag?: boolean } = {}): Promise<CliResult> {
    const argv = [BIN, ...args, ...(options.homeFlag === false ? [] : ["--home", this.home])];
    const env = { ...process.env, SLUICE_HOME: this.home };
    return new Promise((done) => {
      execFile(process.execPath, argv, { cwd: options.cwd, env, maxBuffer: 32 * 1024 * 1024, timeout: 900_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      });
    });
  }
}

/** `DaemonProcess.at(cwd)`: the CLI run in a folder. */
export interface Shell {
  cli(...args: string[]): Promise<CliResult>;
  json<T>(...args: string[]): Promise<T>;
  /** Without `--home` (commands that take none, e.g. `secrets`; they read `SLUICE_HOME`). */
  plain(...args: string[]): Promise<CliResult>;
}

function parseJson<T>(args: readonly string[], result: CliResult): T {
  if (result.code !== 0) throw new Error(`sluice ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/**
 * `sluice exec --home <home> <args…>` (exec's command follows `--`, so --home goes first), with
 * optional stdin; killed and failed after `timeoutMs` (default 15 min: the first exec may build
 * the workspace's environment).
 */
export function execCli(home: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 900_000;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, "exec", "--home", home, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`sluice exec ${args.join(" ")} did not end in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      done({ code: code ?? 1, stdout, stderr });
    });
    child.stdin?.end(options.input ?? "");
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message()}`);
    await sleep(500);
  }
}
