/**
 * Per-run logs: every line is appended to `<dir>/<runId>.jsonl` (so logs outlive containers and
 * daemon restarts) and pushed to live subscribers. A run's file is bounded: once it grows past
 * the limit by a quarter, the head is dropped and the newest `maxBytesPerRun` are kept, with the
 * count of dropped lines in a header record.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type LogStream = "stdout" | "stderr" | "system";

export interface LogLine {
  /** 1-based, increasing per run, never reused (also after trimming). */
  seq: number;
  timeMs: number;
  stream: LogStream;
  text: string;
}

export interface LogSubscriber {
  onLine(line: LogLine): void;
  onEnd?(): void;
}

export interface LogPage {
  lines: LogLine[];
  /** Lines dropped from the head of this run's log to respect the size bound. */
  trimmedLines: number;
  /** The same, per stream (re-attaching after a restart skips this many replayed lines). */
  trimmedByStream: Record<LogStream, number>;
}

export interface LogStoreOptions {
  dir: string;
  /** Default 4 MiB. */
  maxBytesPerRun?: number;
  /** Longer lines are cut (default 16 KiB). */
  maxLineBytes?: number;
  now?: () => number;
}

export interface LogStore {
  append(runId: string, stream: LogStream, text: string): LogLine;
  /** Stored lines, oldest first; `tail` keeps only the last n, `afterSeq` only newer ones. */
  read(runId: string, options?: { tail?: number; afterSeq?: number }): LogPage;
  subscribe(runId: string, subscriber: LogSubscriber): () => void;
  /** Tells subscribers that no more lines will come for this run. */
  end(runId: string): void;
  remove(runId: string): void;
}

interface RunFileState {
  bytes: number;
  lastSeq: number;
  trimmed: number;
  byStream: Record<LogStream, number>;
}

interface StoredRecord {
  q?: number;
  t?: number;
  s?: LogStream;
  l?: string;
  trimmed?: number;
  by?: Partial<Record<LogStream, number>>;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function createLogStore(options: LogStoreOptions): LogStore {
  const maxBytes = options.maxBytesPerRun ?? 4 * 1024 * 1024;
  const maxLineBytes = options.maxLineBytes ?? 16 * 1024;
  const now = options.now ?? Date.now;
  const states = new Map<string, RunFileState>();
  const subscribers = new Map<string, Set<LogSubscriber>>();
  mkdirSync(options.dir, { recursive: true });

  const fileOf = (runId: string) => {
    if (!RUN_ID.test(runId)) throw new Error(`invalid run id for the log store: ${runId}`);
    return join(options.dir, `${runId}.jsonl`);
  };

  const stateOf = (runId: string): RunFileState => {
    let state = states.get(runId);
    if (state) return state;
    const file = fileOf(runId);
    state = { bytes: 0, lastSeq: 0, trimmed: 0, byStream: emptyCounts() };
    if (existsSync(file)) {
      const { lines, trimmedLines, trimmedByStream } = parse(readFileSync(file, "utf8"));
      state = { bytes: statSync(file).size, lastSeq: lines.at(-1)?.seq ?? trimmedLines, trimmed: trimmedLines, byStream: trimmedByStream };
    }
    states.set(runId, state);
    return state;
  };

  const compact = (runId: string, state: RunFileState) => {
    const file = fileOf(runId);
    const rows = readFileSync(file, "utf8").split("\n").filter((row) => row.length > 0 && !row.startsWith('{"trimmed"'));
    let kept = 0;
    let start = rows.length;
    while (start > 0 && kept + (rows[start - 1]?.length ?? 0) + 1 <= maxBytes) {
      start -= 1;
      kept += (rows[start]?.length ?? 0) + 1;
    }
    state.trimmed += start;
    for (const row of rows.slice(0, start)) {
      const stream = streamOf(row);
      state.byStream[stream] += 1;
    }
    const header = `${JSON.stringify({ trimmed: state.trimmed, by: state.byStream })}\n`;
    const body = rows.slice(start).join("\n");
    const temp = `${file}.compact`;
    writeFileSync(temp, header + (body ? `${body}\n` : ""));
    renameSync(temp, file);
    state.bytes = statSync(file).size;
  };

  return {
    append(runId, stream, text) {
      const state = stateOf(runId);
      const line: LogLine = { seq: state.lastSeq + 1, timeMs: now(), stream, text: cut(text, maxLineBytes) };
      const row = `${JSON.stringify({ q: line.seq, t: line.timeMs, s: line.stream, l: line.text })}\n`;
      appendFileSync(fileOf(runId), row);
      state.lastSeq = line.seq;
      state.bytes += Buffer.byteLength(row);
      if (state.bytes > maxBytes + maxBytes / 4) compact(runId, state);
      for (const subscriber of subscribers.get(runId) ?? []) {
        try {
          subscriber.onLine(line);
        } catch {
          // A broken subscriber must not stop logging.
        }
      }
      return line;
    },
    read(runId, readOptions = {}) {
      const file = fileOf(runId);
      if (!existsSync(file)) return { lines: [], trimmedLines: 0, trimmedByStream: emptyCounts() };
      const page = parse(readFileSync(file, "utf8"));
      let lines = page.lines;
      if (readOptions.afterSeq !== undefined) lines = lines.filter((line) => line.seq > (readOptions.afterSeq ?? 0));
      if (readOptions.tail !== undefined) lines = readOptions.tail <= 0 ? [] : lines.slice(-readOptions.tail);
      return { ...page, lines };
    },
    subscribe(runId, subscriber) {
      let set = subscribers.get(runId);
      if (!set) {
        set = new Set();
        subscribers.set(runId, set);
      }
      set.add(subscriber);
      return () => {
        set.delete(subscriber);
        if (set.size === 0) subscribers.delete(runId);
      };
    },
    end(runId) {
      const set = subscribers.get(runId);
      subscribers.delete(runId);
      states.delete(runId);
      for (const subscriber of set ?? []) {
        try {
          subscriber.onEnd?.();
        } catch {
          // ignored, as above
        }
      }
    },
    remove(runId) {
      states.delete(runId);
      rmSync(fileOf(runId), { force: true });
    },
  };
}

function emptyCounts(): Record<LogStream, number> {
  return { stdout: 0, stderr: 0, system: 0 };
}

function streamOf(row: string): LogStream {
  const match = /"s":"(stdout|stderr|system)"/.exec(row);
  return (match?.[1] as LogStream | undefined) ?? "stdout";
}

function parse(content: string): LogPage {
  const lines: LogLine[] = [];
  let trimmedLines = 0;
  let trimmedByStream = emptyCounts();
  for (const row of content.split("\n")) {
    if (row.length === 0) continue;
    let record: StoredRecord;
    try {
      record = JSON.parse(row) as StoredRecord;
    } catch {
      continue; // a torn last write after a crash
    }
    if (record.trimmed !== undefined) {
      trimmedLines = record.trimmed;
      trimmedByStream = { ...emptyCounts(), ...record.by };
    }
    else if (record.q !== undefined) lines.push({ seq: record.q, timeMs: record.t ?? 0, stream: record.s ?? "stdout", text: record.l ?? "" });
  }
  return { lines, trimmedLines, trimmedByStream };
}

function cut(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  return `${Buffer.from(text).subarray(0, maxBytes).toString("utf8")}… [line cut]`;
}
