import { describe, expect, it } from "vitest";
import { InvalidTriggerError, parseTrigger, tryParseTrigger } from "./triggers.js";

describe("parseTrigger", () => {
  it.each([
    ["schedule:0 2 * * *", { type: "schedule", cron: "0 2 * * *" }],
    ["every:5m", { type: "every", periodSeconds: 300 }],
    ["every:1.5h", { type: "every", periodSeconds: 5400 }],
    ["every:1m", { type: "every", periodSeconds: 60 }],
    ["once:2026-12-31T23:59:59Z", { type: "once", atMs: Date.UTC(2026, 11, 31, 23, 59, 59) }],
    ["once:1700000000", { type: "once", atMs: 1_700_000_000_000 }],
    ["job.success:jobs.mod.up", { type: "job.success", jobRef: "jobs.mod.up" }],
    ["job.fail:jobs.up", { type: "job.fail", jobRef: "jobs.up" }],
    ["deployment:", { type: "deployment", expr: null }],
    ["deployment:main", { type: "deployment", expr: "main" }],
    ["webhook:", { type: "webhook", expr: null }],
    ["webhook:ingest", { type: "webhook", expr: "ingest" }],
    ["tag:nightly", { type: "tag", tag: "nightly" }],
    ["manual:", { type: "manual", jobRef: null }],
    ["manual:jobs.mod.a", { type: "manual", jobRef: "jobs.mod.a" }],
    ["pipeline_name:fruitshop", { type: "pipeline_name", pipelineName: "fruitshop" }],
    ["schedule:a:b", null],
  ])("%j", (raw, expected) => {
    if (expected === null) {
      expect(() => parseTrigger(raw)).toThrow(InvalidTriggerError);
      return;
    }
    expect(parseTrigger(raw)).toEqual({ raw, ...expected });
  });

  // triggers.md §5, one row each.
  it.each([
    ["http:", null, ""],
    ["http:9090", 9090, ""],
    ["http:/mcp", null, "/mcp"],
    ["http:9090/mcp", 9090, "/mcp"],
    ["http:8080/api/v1", 8080, "/api/v1"],
    ["http:1", 1, ""],
    ["http:65535", 65535, ""],
    ["http:8080/", 8080, "/"],
    ["http:9090?x=1", 9090, ""],
  ])("http %j ⇒ port %s path %j", (raw, port, path) => {
    expect(parseTrigger(raw)).toEqual({ type: "http", raw, port, path });
  });

  it.each([
    ["http:0", "port must be 1-65535, got 0"],
    ["http:99999", "port invalid: Port out of range 0-65535"],
    ["http:abc", "port invalid: Port could not be cast to integer value as 'abc'"],
    ["http://localhost:5000", "should be http:[port][/path], not a full URL"],
    ["http:https", "should be http:[port][/path], not a full URL"],
    ["http:user@9090", "expr must be [port][/path]"],
  ])("http %j is rejected: %s", (raw, reason) => {
    expect(() => parseTrigger(raw)).toThrow(`Invalid trigger '${raw}': ${reason}`);
  });

  it.each([
    ["nocolon", "Invalid trigger 'nocolon': must be in type:expr form"],
    ["cron:* * * * *", "Invalid trigger 'cron:* * * * *': unknown type 'cron'"],
    ["Schedule:* * * * *", "Invalid trigger 'Schedule:* * * * *': unknown type 'Schedule'"],
    ["schedule:", "Invalid trigger 'schedule:': requires a cron expression"],
    ["schedule:5m", "Invalid trigger 'schedule:5m': invalid cron expression"],
    ["schedule:@reboot", "Invalid trigger 'schedule:@reboot': invalid cron expression"],
    ["every:", "Invalid trigger 'every:': requires a period (e.g. '5m', '1h')"],
    ["every:5 minutes", "Invalid trigger 'every:5 minutes': period must be like '5m', '1h', '1d'"],
    ["every:0", "Invalid trigger 'every:0': period must be positive"],
    ["every:-60", "Invalid trigger 'every:-60': period must be positive"],
    ["every:59s", "Invalid trigger 'every:59s': minimum period is 1 minute"],
    ["every:30s", "Invalid trigger 'every:30s': minimum period is 1 minute"],
    ["every:inf", "Invalid trigger 'every:inf': period must be like '5m', '1h', '1d'"],
    ["once:", "Invalid trigger 'once:': requires a timestamp (ISO 8601)"],
    ["once:tomorrow", "Invalid trigger 'once:tomorrow': requires ISO 8601 timestamp"],
    ["tag:", "Invalid trigger 'tag:': requires a name"],
    ["pipeline_name:", "Invalid trigger 'pipeline_name:': requires a pipeline name"],
    ["job.success:", "Invalid trigger 'job.success:': requires a job_ref"],
    ["job.fail:", "Invalid trigger 'job.fail:': requires a job_ref"],
    ["job.success:mod.up", "Invalid trigger 'job.success:mod.up': expression must start with 'jobs.'"],
    ["job.fail:up", "Invalid trigger 'job.fail:up': expression must start with 'jobs.'"],
  ])("%j fails with dlt's message", (raw, message) => {
    expect(() => parseTrigger(raw)).toThrow(message);
    expect(tryParseTrigger(raw)).toBeNull();
  });
});
