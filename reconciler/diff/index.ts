export * from "./types.js";
export * from "./diff-deployments.js";
export * from "./bump-version.js";
export * from "./normalize.js";
