/** Host programs (docker, ctr, tar) run without a shell; results, never thrown exit codes, so callers word their own errors. */
import { spawn } from "node:child_process";

export interface CommandResult {
  /** The exit code; -1 when the program could not be started (its error is in `stderr`). */
  code: number;
  stdout: string;
  stderr: string;
}

export function runCommand(command: string, args: string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (error) => resolve({ code: -1, stdout, stderr: `${command}: ${error.message}` }));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** `from | to`: both exit codes, the sink's output and both programs' errors. */
export function pipeCommands(from: string[], to: string[]): Promise<{ codes: [number, number]; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const source = spawn(from[0] ?? "", from.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    const sink = spawn(to[0] ?? "", to.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    source.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    sink.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    sink.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    source.stdout.pipe(sink.stdin);
    sink.stdin.on("error", () => undefined); // the sink died: its exit code says so
    const exits = [source, sink].map(
      (child, i) =>
        new Promise<number>((done) => {
          child.on("error", (error) => {
            stderr += `${i === 0 ? from[0] : to[0]}: ${error.message}\n`;
            done(-1);
          });
          child.on("close", (code) => done(code ?? -1));
        }),
    );
    void Promise.all(exits).then(([a, b]) => resolve({ codes: [a ?? -1, b ?? -1], stdout, stderr }));
  });
}

/** The last lines of a program's error output, for a one-line message. */
export function lastLines(text: string, count = 3): string {
  return text.trim().split("\n").slice(-count).join(" ");
}
