/** A `sluice up` child process with a temp home, and the `sluice` CLI run against it (real git, Docker, dlt). */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

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

  async start(config: string, timeoutMs = 60_000): Promise<void> {
    mkdirSync(this.home, { recursive: true });
    writeFileSync(join(this.home, "sluice.yaml"), config);
    this.child = spawn(process.execPath, [BIN, "up", "--home", this.home], { stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    await waitUntil(() => existsSync(join(this.home, "daemon.json")), timeoutMs, () => `daemon did not start:\n${this.output}`);
  }

  get url(): string {
    return (JSON.parse(readFileSync(join(this.home, "daemon.json"), "utf8")) as { url: string }).url;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    child.kill("SIGTERM");
    await Promise.race([exited, sleep(40_000)]);
    if (child.exitCode === null) child.kill("SIGKILL");
  }

  cli(...args: string[]): Promise<CliResult> {
    return new Promise((done) => {
      execFile(process.execPath, [BIN, ...args, "--home", this.home], { maxBuffer: 32 * 1024 * 1024, timeout: 900_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      });
    });
  }

  async json<T>(...args: string[]): Promise<T> {
    const result = await this.cli(...args, "--output", "json");
    if (result.code !== 0) throw new Error(`sluice ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }
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
