export * from "./git-cli.js";
export * from "./commits.js";
export * from "./checkout.js";
export * from "./sources.js";
export * from "./branch-watcher.js";
