import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { workerFailureError } from "./worker-error.js";
import { WrapperOutput } from "./wrapper-output.js";

/** Wrapper documents recorded from dlt 1.26.0 for small broken workspaces (module p.py). */
const recorded = JSON.parse(readFileSync(new URL("./testdata/wrapper-failures.json", import.meta.url), "utf8")) as Record<string, unknown>;

function recordedOutput(name: string): WrapperOutput {
  return WrapperOutput.parse(recorded[name]);
}

const context = { workspace: "./ws", moduleFile: "__deployment__.py", roots: ["/workspace"], retryCommand: "sluice manifest ./ws" };

describe("workerFailureError", () => {
  it.each([
    ["syntax", "manifest_syntax_error", "syntax error in p.py line 3: invalid syntax"],
    ["missing", "manifest_missing_module", "p.py line 1 imports 'not_a_module_xyz', which is not installed in the workspace environment"],
    ["every30", "manifest_invalid_trigger", "invalid trigger 'every:30s' in p.py line 2: minimum period is 1 minute"],
    ["cron", "manifest_invalid_trigger", "invalid trigger 'schedule:61 * * * *' in p.py line 2: invalid cron expression"],
    ["followup", "manifest_invalid", "invalid deployment manifest (p.py line 2): job 'jobs.p.a' has triggers referencing unknown jobs: ['jobs.x.y']"],
    ["importexc", "manifest_import_failed", "p.py line 3 raised KeyError while it was imported: 'missing'"],
    ["runs", "manifest_pipeline_runs_on_import", "p.py line 7 runs a pipeline while it is imported (`p.run(r())`); manifest generation must not load data"],
  ])("%s → one line naming file and line", (name, code, message) => {
    const error = workerFailureError(recordedOutput(name), context);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    expect(error.message).not.toContain("\n");
    expect(error.hint).toContain("sluice manifest ./ws");
    expect(error.details.file).toBe("p.py");
  });

  it("hints at the cron for a bad schedule and at __main__ for a pipeline run", () => {
    expect(workerFailureError(recordedOutput("cron"), context).hint).toMatch(/^fix the cron in p.py/);
    expect(workerFailureError(recordedOutput("runs"), context).hint).toContain('if __name__ == "__main__":');
  });

  it("names the job of a validation error", () => {
    expect(workerFailureError(recordedOutput("followup"), context).details.job).toBe("jobs.p.a");
  });

  it("falls back to stderr, then stdout, then the exit code when stdout holds no payload", () => {
    const base = { ...recordedOutput("syntax"), diagnostics: null };
    const crash = workerFailureError(
      {
        ...base,
        worker_stdout: "",
        worker_stderr: 'Traceback (most recent call last):\n  File "/workspace/jobs/a.py", line 4, in <module>\nRuntimeError: boom',
      },
      context,
    );
    expect(crash.message).toBe("jobs/a.py line 4 raised RuntimeError while it was imported: boom");

    const stdoutOnly = workerFailureError({ ...base, worker_stdout: "segfault in native code", worker_stderr: "" }, context);
    expect(stdoutOnly.message).toContain("segfault in native code");

    const silent = workerFailureError({ ...base, exit_code: 139, worker_stdout: "", worker_stderr: "" }, context);
    expect(silent.message).toBe("__deployment__.py raised an error while it was imported: worker exited with code 139");
  });

  it("reports an environment without dlt", () => {
    const error = workerFailureError({ ...recordedOutput("syntax"), dlt_version: null, diagnostics: null }, context);
    expect(error.code).toBe("manifest_no_dlt");
    expect(error.hint).toContain("dlt[workspace]");
  });
});
