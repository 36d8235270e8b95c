/**
 * Structured logging: fixed message text, values in fields, a `component` on every logger.
 * The sink is injectable so tests can read what was logged.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogRecord {
  level: LogLevel;
  component: string;
  msg: string;
  time: string;
  [field: string]: unknown;
}

export type LogSink = (record: LogRecord) => void;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

const levelOrder: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Writes one JSON line per record to stderr. */
export const stderrJsonSink: LogSink = (record) => {
  process.stderr.write(`${JSON.stringify(record)}\n`);
};

export function createLogger(
  component: string,
  options: { sink?: LogSink; minLevel?: LogLevel; now?: () => number } = {},
): Logger {
  const sink = options.sink ?? stderrJsonSink;
  const minLevel = options.minLevel ?? "info";
  const now = options.now ?? Date.now;
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (levelOrder[level] < levelOrder[minLevel]) return;
    sink({ ...fields, level, component, msg, time: new Date(now()).toISOString() });
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    child: (child) => createLogger(`${component}.${child}`, options),
  };
}

/** A logger that drops everything (for tests and quiet CLI commands). */
export const silentLogger: Logger = createLogger("silent", { sink: () => {}, minLevel: "error" });
