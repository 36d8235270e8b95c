export * from "./git-cli.js";
export * from "./commits.js";
export * from "./checkout.js";
export * from "./sources.js";
export * from "./branch-watcher.js";
export { localGitDir, watchRefs } from "./ref-watcher.js";
export type { RefWatch } from "./ref-watcher.js";
export * from "./discover.js";
