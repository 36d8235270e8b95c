/**
 * Per-run logs: every line is appended to `<dir>/<runId>.jsonl` (so logs outlive containers and
 * daemon restarts) and pushed to live subscribers. A run's file is bounded: once it grows past
 * the limit by a quarter, the head is dropped and the newest `maxBytesPerRun` are kept, with the
 * count of dropped lines in a header record.
 *
 * A failed write (disk full, read-only or vanished directory) never throws at the run: the line
 * still reaches live subscribers, is counted as not stored, and once a write works again a
 * system line says how many lines were lost and why. A torn row left by a failed write is closed
 * with a newline so the next row stays readable.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crashPoint } from "../../core/crash-point.js";

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
  /** Called once per run when writing its log starts failing (e.g. ENOSPC); the daemon logs it. */
  onWriteError?: (runId: string, error: Error) => void;
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
  /** Lines since the last failed write that could not be stored. */
  unstored: number;
  /** Why the last write failed; null when writing works. */
  failure: string | null;
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
  const maxLineBytes = options.maxLineBytes ?? 16 * 1024;
  const now = options.now ?? Date.now;
  const files = createRunFiles(options);
  const live = createLiveSubscribers();

  const nextLine = (state: RunFileState, stream: LogStream, text: string): LogLine => {
    state.lastSeq += 1;
    return { seq: state.lastSeq, timeMs: now(), stream, text };
  };

  /** After failed writes: once writing works again, a system line says what was lost. */
  const noteUnstored = (runId: string, state: RunFileState) => {
    const text = `${state.unstored} log line(s) of this run were not stored: writing ${options.dir} failed (${state.failure}); free disk space there`;
    const note = nextLine(state, "system", text);
    const failure = state.failure;
    if (files.persist(runId, state, note)) {
      state.unstored = 0;
      state.failure = null;
      live.notify(runId, note);
    } else {
      state.lastSeq -= 1; // still failing: the note waits for the next line
      state.failure = failure;
    }
  };

  return {
    append(runId, stream, text) {
      const state = files.stateOf(runId);
      if (state.failure !== null) noteUnstored(runId, state);
      const line = nextLine(state, stream, cut(text, maxLineBytes));
      if (!files.persist(runId, state, line)) state.unstored += 1;
      live.notify(runId, line);
      return line;
    },
    read(runId, readOptions = {}) {
      const file = files.fileOf(runId);
      if (!existsSync(file)) return { lines: [], trimmedLines: 0, trimmedByStream: emptyCounts() };
      const page = parse(readFileSync(file, "utf8"));
      let lines = page.lines;
      if (readOptions.afterSeq !== undefined) lines = lines.filter((line) => line.seq > (readOptions.afterSeq ?? 0));
      if (readOptions.tail !== undefined) lines = readOptions.tail <= 0 ? [] : lines.slice(-readOptions.tail);
      return { ...page, lines };
    },
    subscribe: live.subscribe,
    end(runId) {
      files.forget(runId);
      live.end(runId);
    },
    remove(runId) {
      files.forget(runId);
      rmSync(files.fileOf(runId), { force: true });
    },
  };
}

/** The runs' files: where each is, what is known of it, and appending a line to it (bounded). */
function createRunFiles(options: LogStoreOptions) {
  const maxBytes = options.maxBytesPerRun ?? 4 * 1024 * 1024;
  const states = new Map<string, RunFileState>();
  mkdirSync(options.dir, { recursive: true });

  const fileOf = (runId: string) => {
    if (!RUN_ID.test(runId)) throw new Error(`invalid run id for the log store: ${runId}`);
    return join(options.dir, `${runId}.jsonl`);
  };

  const stateOf = (runId: string): RunFileState => {
    let state = states.get(runId);
    if (state) return state;
    const file = fileOf(runId);
    state = { bytes: 0, lastSeq: 0, trimmed: 0, byStream: emptyCounts(), unstored: 0, failure: null };
    if (existsSync(file)) {
      const { lines, trimmedLines, trimmedByStream } = parse(readFileSync(file, "utf8"));
      state = { bytes: statSync(file).size, lastSeq: lines.at(-1)?.seq ?? trimmedLines, trimmed: trimmedLines, byStream: trimmedByStream, unstored: 0, failure: null };
    }
    states.set(runId, state);
    return state;
  };

  /** Appends one line's row; false (and the reason kept) when the write fails. */
  const persist = (runId: string, state: RunFileState, line: LogLine): boolean => {
    const row = `${JSON.stringify({ q: line.seq, t: line.timeMs, s: line.stream, l: line.text })}\n`;
    const prefix = state.failure === null ? "" : "\n"; // closes a row torn by the failed write
    try {
      appendFileSync(fileOf(runId), prefix + row);
      crashPoint("log-append");
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      if (state.failure === null) options.onWriteError?.(runId, err);
      state.failure = (err as NodeJS.ErrnoException).code ?? err.message;
      return false;
    }
    state.bytes += Buffer.byteLength(prefix + row);
    if (state.bytes > maxBytes + maxBytes / 4) compactRunFile(fileOf(runId), state, maxBytes);
    return true;
  };

  return { fileOf, stateOf, persist, forget: (runId: string) => states.delete(runId) };
}

/** Drops the head of a run's file so that the newest `maxBytes` remain, counting what was dropped in a header. */
function compactRunFile(file: string, state: RunFileState, maxBytes: number): void {
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
  try {
    writeFileSync(temp, header + (body ? `${body}\n` : ""));
    renameSync(temp, file);
  } catch {
    rmSync(temp, { force: true }); // no room to compact: keep the longer file, try again later
  }
  state.bytes = statSync(file).size;
}

/** Live readers of runs' logs: each gets every new line, and the end. A broken one never stops logging. */
function createLiveSubscribers() {
  const subscribers = new Map<string, Set<LogSubscriber>>();
  return {
    notify(runId: string, line: LogLine) {
      for (const subscriber of subscribers.get(runId) ?? []) {
        try {
          subscriber.onLine(line);
        } catch {
          // A broken subscriber must not stop logging.
        }
      }
    },
    subscribe(runId: string, subscriber: LogSubscriber) {
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
    end(runId: string) {
      const set = subscribers.get(runId);
      subscribers.delete(runId);
      for (const subscriber of set ?? []) {
        try {
          subscriber.onEnd?.();
        } catch {
          // ignored, as above
        }
      }
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
