export * from "./trigger-types.js";
export * from "./cron.js";
export * from "./period.js";
