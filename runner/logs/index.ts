export { createLogStore } from "./log-store.js";
export type { LogLine, LogPage, LogStore, LogStoreOptions, LogStream, LogSubscriber } from "./log-store.js";
