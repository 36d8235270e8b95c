/** Runs a program on the host, streaming its output lines; never through a shell. */
import { spawn } from "node:child_process";
import { createLineSplitter } from "../docker/index.js";

export interface HostCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  onLine?: (stream: "stdout" | "stderr", line: string) => void;
}

export interface HostCommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function runHostCommand(command: string, args: string[], options: HostCommandOptions = {}): Promise<HostCommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const outLines = createLineSplitter((line) => options.onLine?.("stdout", line));
    const errLines = createLineSplitter((line) => options.onLine?.("stderr", line));
    child.stdout.on("data", (chunk: Buffer) => {
      out.push(chunk);
      outLines.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err.push(chunk);
      errLines.push(chunk);
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      outLines.flush();
      errLines.flush();
      resolve({
        exitCode: code ?? (signal ? 128 + 9 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}
