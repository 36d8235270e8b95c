import { describe, expect, it } from "vitest";
import { invalidTriggerIn, jobRefsInMessage, locationInMessage, locationInTraceback, missingModuleIn, oneLine } from "./locate.js";

describe("locating errors in dlt and Python text", () => {
  it("reads the file and line of a SyntaxError message", () => {
    expect(locationInMessage("invalid syntax (usgs_pipeline.py, line 12)")).toEqual({ file: "usgs_pipeline.py", line: 12 });
    expect(locationInMessage("no location here")).toBeUndefined();
  });

  it("takes the innermost workspace frame of a traceback and skips site-packages", () => {
    const tb = [
      "Traceback (most recent call last):",
      '  File "/workspace/__deployment__.py", line 2, in <module>',
      '  File "/workspace/jobs/etl.py", line 7, in <module>',
      '  File "/opt/sluice/venv/lib/python3.13/site-packages/dlt/x.py", line 99, in f',
      "KeyError: 'a'",
    ].join("\n");
    expect(locationInTraceback(tb, ["/workspace"])).toEqual({ file: "jobs/etl.py", line: 7 });
    expect(locationInTraceback(tb, ["/elsewhere"])).toBeUndefined();
  });

  it("finds job refs, invalid triggers and missing modules", () => {
    expect(jobRefsInMessage("Invalid deployment manifest:\n  - job 'jobs.bad3.a' has triggers referencing unknown jobs: ['jobs.x.y']")).toEqual(["jobs.bad3.a"]);
    expect(invalidTriggerIn("Invalid trigger 'every:30s': minimum period is 1 minute")).toEqual({ trigger: "every:30s", reason: "minimum period is 1 minute" });
    expect(missingModuleIn("No module named 'ibis.expr'")).toBe("ibis.expr");
  });

  it("joins multi-line messages into one line", () => {
    expect(oneLine("Invalid deployment manifest:\n  - a\n  - b\n")).toBe("Invalid deployment manifest: a; b");
  });
});
