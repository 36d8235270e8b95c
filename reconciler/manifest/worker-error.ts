/**
 * Turns a failed run of dlt's manifest worker into one SluiceError whose message is a single
 * line naming the file (and, where known, the line and the job) and whose hint says what to do.
 */
import { SluiceError } from "../../core/index.js";
import {
  formatLocation,
  invalidTriggerIn,
  jobRefsInMessage,
  lastLine,
  locationInMessage,
  locationInTraceback,
  missingModuleIn,
  oneLine,
} from "./locate.js";
import type { SourceLocation } from "./locate.js";
import type { WrapperDiagnostics, WrapperOutput } from "./wrapper-output.js";
import { parseWorkerPayload } from "./worker-payload.js";

export interface FailureContext {
  /** Workspace path as the user gave it. */
  workspace: string;
  /** Deployment module or script, relative to the workspace (`__deployment__.py`). */
  moduleFile: string;
  /** Workspace root as the Python process saw it (`/workspace` in a container, host path locally). */
  roots: readonly string[];
  /** The command to suggest after a fix, e.g. `sluice manifest ./usgs`. */
  retryCommand: string;
}

/** dlt's decorator/validation exceptions whose message is the whole story. */
const DEFINITION_ERRORS = new Set([
  "InvalidFreshnessConstraint",
  "InvalidJobDefinition",
  "InvalidJobRef",
  "InvalidJobName",
  "InvalidJobSection",
  "ValueError",
  "NotImplementedError",
]);

interface Failure {
  errorType: string;
  error: string;
  location: SourceLocation | undefined;
  diagnostics: WrapperDiagnostics | undefined;
}

export function workerFailureError(output: WrapperOutput, context: FailureContext): SluiceError {
  if (output.timed_out) {
    return new SluiceError("manifest_timeout", `dlt's manifest worker did not finish for ${context.moduleFile}: ${lastLine(output.worker_stderr) ?? "timed out"}`, {
      hint: `look for code that blocks while ${context.moduleFile} is imported (network calls, input(), long loops)`,
      details: { file: context.moduleFile },
    });
  }
  if (output.dlt_version === null) {
    return new SluiceError("manifest_no_dlt", `the environment of ${context.workspace} has no dlt, so its manifest cannot be generated`, {
      hint: "add dlt[workspace]>=1.26.0 to the default dependencies in pyproject.toml",
      details: { stderr: tail(output.worker_stderr) },
    });
  }
  const failure = describeFailure(output, context);
  const error = buildError(failure, context);
  const location = error.location ?? failure.location ?? { file: context.moduleFile };
  return new SluiceError(error.code, error.message, {
    hint: error.hint,
    details: {
      file: location.file,
      ...(location.line === undefined ? {} : { line: location.line }),
      ...(error.job ? { job: error.job } : {}),
      errorType: failure.errorType,
      workerError: failure.error,
      stderr: tail(output.worker_stderr),
    },
  });
}

function describeFailure(output: WrapperOutput, context: FailureContext): Failure {
  const payload = parseWorkerPayload(output.worker_stdout, output.pua_start);
  const diagnostics = output.diagnostics ?? undefined;
  if (payload?.kind === "error") {
    return { errorType: payload.errorType, error: payload.error, diagnostics, location: locate(payload.error, output, diagnostics, context) };
  }
  // No payload: the worker crashed before its own try-block (spec §2): stderr, stdout, exit code.
  const text = output.worker_stderr.trim() || output.worker_stdout.trim() || `worker exited with code ${output.exit_code}`;
  const last = lastLine(text) ?? text;
  const typed = /^([A-Za-z_][\w.]*(?:Error|Exception|Exit)):\s*(.*)$/.exec(last);
  return {
    errorType: typed?.[1]?.split(".").at(-1) ?? "",
    error: typed ? (typed[2] ?? "") : last,
    diagnostics,
    location: locate(text, output, diagnostics, context),
  };
}

function locate(message: string, output: WrapperOutput, diagnostics: WrapperDiagnostics | undefined, context: FailureContext): SourceLocation | undefined {
  if (diagnostics?.file) return { file: diagnostics.file, line: diagnostics.line ?? undefined };
  return locationInMessage(message) ?? locationInTraceback(`${output.worker_stderr}\n${message}`, context.roots);
}

interface BuiltError {
  code: string;
  message: string;
  hint: string;
  job?: string;
  /** Overrides the failure's location (validation errors point at the job's function). */
  location?: SourceLocation;
}

function buildError(failure: Failure, context: FailureContext): BuiltError {
  const { errorType, error, diagnostics } = failure;
  const location = failure.location ?? { file: context.moduleFile };
  const where = formatLocation(location);
  const again = `run \`${context.retryCommand}\` again`;

  if (errorType === "PipelineIsRunning" || diagnostics?.chain?.includes("PipelineIsRunning")) {
    const source = diagnostics?.source ? ` (\`${diagnostics.source}\`)` : "";
    return {
      code: "manifest_pipeline_runs_on_import",
      message: `${where} runs a pipeline while it is imported${source}; manifest generation must not load data`,
      hint: `move the pipeline run in ${location.file} under \`if __name__ == "__main__":\` or into a job function, then ${again}`,
    };
  }
  if (errorType === "MissingDependencyException" && /dlthub|dlt\[hub\]/.test(error)) {
    return {
      code: "manifest_missing_hub_plugin",
      message: `${where} needs dltHub's commercial 'dlthub' plugin (\`from dlt.hub import run\`), which is not installed`,
      hint: `import the decorators from open-source dlt with \`from dlt.hub.run import job, trigger\` in ${location.file}, or add dlt[hub] to the dependencies, then ${again}`,
    };
  }
  if (errorType === "SyntaxError" || errorType === "IndentationError" || errorType === "TabError") {
    return {
      code: "manifest_syntax_error",
      message: `syntax error in ${where}: ${oneLine(error.replace(/\s*\([^()]*\.py, line \d+\)\s*$/, ""))}`,
      hint: `fix the syntax in ${location.file}, then ${again}`,
    };
  }
  if (errorType === "ModuleNotFoundError" || errorType === "ImportError") {
    const missing = missingModuleIn(error);
    if (missing === undefined) {
      return { code: "manifest_import_error", message: `${where} cannot be imported: ${oneLine(error)}`, hint: `fix the import in ${location.file}, then ${again}` };
    }
    return {
      code: "manifest_missing_module",
      message: `${where} imports '${missing}', which is not installed in the workspace environment`,
      hint: `add the package that provides '${missing.split(".")[0]}' to the default dependencies in pyproject.toml, or fix the import in ${location.file}, then ${again}`,
    };
  }
  if (errorType === "InvalidTrigger") {
    const trigger = invalidTriggerIn(error);
    const what = trigger?.trigger.startsWith("schedule:") ? "the cron" : "the trigger";
    return {
      code: "manifest_invalid_trigger",
      message: trigger ? `invalid trigger '${trigger.trigger}' in ${where}: ${oneLine(trigger.reason)}` : `invalid trigger in ${where}: ${oneLine(error)}`,
      hint: `fix ${what} in ${location.file}, then ${again}`,
    };
  }
  if (errorType === "InvalidManifest") return invalidManifestError(error, diagnostics, context, again);
  if (DEFINITION_ERRORS.has(errorType)) {
    return {
      code: "manifest_invalid_job",
      message: `${where}: ${oneLine(error)}`,
      hint: `fix the job decorator arguments in ${location.file}, then ${again}`,
    };
  }
  const type = errorType || "an error";
  return {
    code: "manifest_import_failed",
    message: `${where} raised ${type} while it was imported: ${oneLine(error) || "(no message)"}`,
    hint: `fix the code in ${location.file} (it runs when ${context.moduleFile} is imported), then ${again}`,
  };
}

function invalidManifestError(error: string, diagnostics: WrapperDiagnostics | undefined, context: FailureContext, again: string): BuiltError {
  const body = oneLine(error.replace(/^Invalid deployment manifest:/, ""));
  const job = jobRefsInMessage(error)[0];
  const jobLocation = job ? diagnostics?.jobs?.[job] : undefined;
  const location: SourceLocation = jobLocation?.file ? { file: jobLocation.file, line: jobLocation.line ?? undefined } : { file: context.moduleFile };
  const file = location.file;
  const where = formatLocation(location);
  const unknownTarget = /referencing unknown jobs/.test(error);
  return {
    code: "manifest_invalid",
    message: `invalid deployment manifest (${where}): ${body}`,
    hint: unknownTarget
      ? `a follow-up trigger names a job that is not deployed: fix the job_success/job_fail target in ${file} or add that job to __all__ in ${context.moduleFile}, then ${again}`
      : `fix the job definitions in ${file}, then ${again}`,
    ...(job ? { job } : {}),
    location,
  };
}

function tail(text: string): string {
  return text.length > 4000 ? text.slice(-4000) : text;
}
