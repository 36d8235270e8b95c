export * from "./types.js";
export * from "./migrations.js";
export * from "./deployment-history.js";
export * from "./repo-store.js";
