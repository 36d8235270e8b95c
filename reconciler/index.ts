export * from "./manifest/index.js";
