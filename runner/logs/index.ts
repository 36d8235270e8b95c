export { createLogStore } from "./log-store.js";
export type { LogLine, LogPage, LogStore, LogStoreOptions, LogStream, LogSubscriber } from "./log-store.js";
export { createRunLogWriter, storedLineCounts } from "./run-log-writer.js";
export type { RunLogWriter, RunLogWriterOptions } from "./run-log-writer.js";
