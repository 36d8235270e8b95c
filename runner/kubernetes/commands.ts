/**
 * `from | to` for host programs (docker, ctr, tar), without a shell; exit codes are returned, never
 * thrown, so callers word their own errors (single programs: `runHostCommand` in runner/images).
 */
import { spawn } from "node:child_process";

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
