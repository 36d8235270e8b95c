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

export function createRunLogWriter(store: LogStore, runId: string, options: { redact?: (text: string) => string; keepLast?: number } = {}): RunLogWriter {
  const redact = options.redact ?? ((text: string) => text);
  const keepLast = options.keepLast ?? 20;
  const recent: string[] = [];
  const write = (stream: LogStream, text: string) => {
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
