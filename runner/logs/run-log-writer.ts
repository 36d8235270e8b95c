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
  /**
   * The output starts again from the container's first byte (a new attach after the engine
   * connection broke replays it): unfinished lines are dropped and the lines already seen skipped.
   */
  replayFromStart(): void;
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

/**
 * Longest unfinished line kept while waiting for its newline (characters). Past it the text so far
 * is stored as a line (the store cuts it to its own limit with a marker) and the rest up to the
 * next newline is dropped, so output without newlines cannot grow the daemon's memory.
 */
export const MAX_PENDING_LINE_CHARS = 64 * 1024;

export function createRunLogWriter(store: LogStore, runId: string, options: RunLogWriterOptions = {}): RunLogWriter {
  const redact = options.redact ?? ((text: string) => text);
  const keepLast = options.keepLast ?? 20;
  const recent: string[] = [];
  const skip = { stdout: options.skip?.stdout ?? 0, stderr: options.skip?.stderr ?? 0 };
  // line positions in the container's output so far (stored or skipped), per stream
  const seen = { stdout: 0, stderr: 0 };
  const write = (stream: LogStream, text: string) => {
    if (stream !== "system") seen[stream] += 1;
    if (stream !== "system" && skip[stream] > 0) {
      skip[stream] -= 1;
      return;
    }
    const line = store.append(runId, stream, redact(text));
    recent.push(line.text);
    if (recent.length > keepLast) recent.shift();
  };
  const freshSplitter = () => ({ tail: "", dropping: false, decoder: new StringDecoder("utf8") });
  const splitters = { stdout: freshSplitter(), stderr: freshSplitter() };
  return {
    push(stream, chunk) {
      const state = splitters[stream];
      let text = typeof chunk === "string" ? chunk : state.decoder.write(chunk);
      if (state.dropping) {
        const end = text.indexOf("\n");
        if (end < 0) return;
        state.dropping = false;
        text = text.slice(end + 1);
      }
      const lines = (state.tail + text).split("\n");
      state.tail = lines.pop() ?? "";
      for (const line of lines) write(stream, line.endsWith("\r") ? line.slice(0, -1) : line);
      if (state.tail.length > MAX_PENDING_LINE_CHARS) {
        write(stream, state.tail);
        state.tail = "";
        state.dropping = true;
      }
    },
    system(text) {
      write("system", text);
    },
    flush() {
      for (const stream of ["stdout", "stderr"] as const) {
        const state = splitters[stream];
        const ending = state.decoder.end();
        const rest = state.dropping ? "" : state.tail + ending;
        state.tail = "";
        state.dropping = false;
        if (rest.length > 0) write(stream, rest);
      }
    },
    replayFromStart() {
      for (const stream of ["stdout", "stderr"] as const) {
        skip[stream] = seen[stream];
        seen[stream] = 0;
        splitters[stream] = freshSplitter();
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
