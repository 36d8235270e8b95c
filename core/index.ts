export * from "./clock.js";
export * from "./errors.js";
export * from "./events.js";
export * from "./logger.js";
export * from "./store/database.js";
export * from "./min-heap.js";
export * from "./http-body.js";
