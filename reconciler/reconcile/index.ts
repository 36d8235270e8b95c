export * from "./ports.js";
export * from "./events.js";
export * from "./errors.js";
export * from "./workspace-reconciler.js";
export * from "./in-memory-target.js";
export * from "./git-workspace-port.js";
export * from "./gitops-service.js";
