/**
 * Turns a run's raw stdout/stderr chunks into stored log lines: split on newlines (a partial
 * line waits for its end), secrets masked, last lines remembered for the run record.
 */
import { StringDecoder } from "node:string_decoder";
import type { LogStore, LogStream } from "./log-store.js";

export interface RunLogWriter {
  push(stream: "stdout" | "stderr", chunk: Buffer | string): void;
  /** A line from Sluice itself about the run (signals sent, re-attach, …). */
  system(text: string): void;
  /** Emits unfinished lines; call once the process has ended. */
  flush(): void;
  lastLines(): string[];
}

export interface RunLogWriterOptions {
  redact?: (text: string) => string;
  keepLast?: number;
  /**
   * Lines per stream to drop before storing: when a container is re-attached after a restart,
   * docker replays its output from the start and the first lines are already stored.
   */
  skip?: { stdout: number; stderr: number };
}

export function createRunLogWriter(store: LogStore, runId: string, options: RunLogWriterOptions = {}): RunLogWriter {
  const redact = options.redact ?? ((text: string) => text);
  const keepLast = options.keepLast ?? 20;
  const recent: string[] = [];
  const skip = { stdout: options.skip?.stdout ?? 0, stderr: options.skip?.stderr ?? 0 };
  const write = (stream: LogStream, text: string) => {
    if (stream !== "system" && skip[stream] > 0) {
      skip[stream] -= 1;
      return;
    }
    const line = store.append(runId, stream, redact(text));
    recent.push(line.text);
    if (recent.length > keepLast) recent.shift();
  };
  const splitters = {
    stdout: { tail: "", decoder: new StringDecoder("utf8") },
    stderr: { tail: "", decoder: new StringDecoder("utf8") },
  };
  return {
    push(stream, chunk) {
      const state = splitters[stream];
      const text = state.tail + (typeof chunk === "string" ? chunk : state.decoder.write(chunk));
      const lines = text.split("\n");
      state.tail = lines.pop() ?? "";
      for (const line of lines) write(stream, line.endsWith("\r") ? line.slice(0, -1) : line);
    },
    system(text) {
      write("system", text);
    },
    flush() {
      for (const stream of ["stdout", "stderr"] as const) {
        const state = splitters[stream];
        const rest = state.tail + state.decoder.end();
        state.tail = "";
        if (rest.length > 0) write(stream, rest);
      }
    },
    lastLines: () => [...recent],
  };
}

/** Lines per stream already stored for a run (for `skip` when re-attaching). */
export function storedLineCounts(store: LogStore, runId: string): { stdout: number; stderr: number } {
  const page = store.read(runId);
  const counts = { stdout: page.trimmedByStream.stdout, stderr: page.trimmedByStream.stderr };
  for (const line of page.lines) if (line.stream !== "system") counts[line.stream] += 1;
  return counts;
}
