/**
 * Manifest generation (manifest-generation.md §1–§4, §6 steps 2–4): build or reuse the workspace
 * environment, run dlt's worker through Sluice's wrapper (no network, read-only workspace), strip
 * typed-JSON markers, validate with Sluice's schema, and keep dlt's own per-job and manifest hashes.
 */
import { SluiceError } from "../../core/index.js";
import { validateManifest } from "../../schemas/index.js";
import type { ManifestExecutor, ProgressSink } from "./executor.js";
import { resolveManifestTarget } from "./target.js";
import type { GeneratedManifest } from "./types.js";
import { workerFailureError } from "./worker-error.js";
import { parseWorkerPayload } from "./worker-payload.js";
import { parseWrapperOutput } from "./wrapper-output.js";
import { wrapperArgs } from "./wrapper-script.js";

/** Generous: a cold import of marimo/ibis workspaces takes seconds, never minutes. */
export const DEFAULT_MANIFEST_TIMEOUT_MS = 180_000;

export interface GenerateWithExecutorOptions {
  workspaceDir: string;
  /** Ad-hoc mode: one script instead of `__deployment__.py`. */
  script?: string;
  executor: ManifestExecutor;
  onProgress?: ProgressSink;
  timeoutMs?: number;
  /** Command suggested in hints after a fix (default `sluice manifest <workspaceDir>`). */
  retryCommand?: string;
}

export async function generateManifestWith(options: GenerateWithExecutorOptions): Promise<GeneratedManifest> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_MANIFEST_TIMEOUT_MS;
  const target = await resolveManifestTarget(options.workspaceDir, options.script);
  const prepared = await options.executor.prepare(target.workspaceDir, options.onProgress);
  const started = performance.now();
  const output = await prepared.runWrapper({ args: wrapperArgs(target, timeoutMs), timeoutMs });
  const generateMs = Math.round(performance.now() - started);
  const wrapper = parseWrapperOutput(output, { workspace: options.workspaceDir, timeoutMs });
  const retryCommand = options.retryCommand ?? defaultRetryCommand(options.workspaceDir, options.script);

  const environment = {
    ...prepared.info,
    pythonVersion: wrapper.python_version || prepared.info.pythonVersion,
    generateMs,
    ...(wrapper.timings?.worker_ms === undefined ? {} : { workerMs: wrapper.timings.worker_ms }),
    ...(wrapper.timings?.total_ms === undefined ? {} : { wrapperMs: wrapper.timings.total_ms }),
  };
  if (wrapper.exit_code !== 0) {
    const error = workerFailureError(wrapper, {
      workspace: options.workspaceDir,
      moduleFile: target.file,
      roots: [prepared.workspaceRoot, target.workspaceDir],
      retryCommand,
    });
    // a failed generation is still recorded with the environment it ran in
    error.details.environment = environment;
    error.details.dltVersion = wrapper.dlt_version;
    throw error;
  }
  const payload = parseWorkerPayload(wrapper.worker_stdout, wrapper.pua_start);
  if (payload?.kind !== "success") {
    throw new SluiceError("manifest_worker_output", `dlt's manifest worker exited 0 for ${target.file} but printed no manifest`, {
      hint: "check for native code writing to stdout while the workspace is imported; run with SLUICE_DEBUG=1",
      details: { file: target.file, stdout: wrapper.worker_stdout.slice(0, 2000), stderr: wrapper.worker_stderr.slice(-2000) },
    });
  }
  if (wrapper.manifest_hash === null) {
    throw new SluiceError("manifest_hash_failed", `dlt could not hash the manifest of ${target.file}: ${wrapper.hash_error ?? "unknown error"}`, {
      hint: "the workspace's dlt may be older than 1.26.0; pin dlt[workspace]>=1.26.0",
    });
  }
  const validation = validateManifest(payload.manifest);
  if (validation.errors.length > 0 || validation.manifest === undefined) {
    throw new SluiceError("manifest_schema_invalid", `the manifest of ${target.file} does not match Sluice's schema: ${validation.errors.map(issueText).join("; ")}`, {
      hint: "the workspace's dlt may produce fields Sluice does not know; pin dlt[workspace]==1.26.0",
      details: { file: target.file, issues: validation.errors },
    });
  }
  return {
    manifest: validation.manifest,
    warnings: [...payload.warnings, ...validation.warnings.map(issueText)],
    jobHashes: wrapper.job_hashes,
    manifestHash: wrapper.manifest_hash,
    dltVersion: wrapper.dlt_version ?? "unknown",
    deploymentModule: typeof payload.manifest.deployment_module === "string" ? payload.manifest.deployment_module : target.module,
    adHoc: target.adHoc,
    environment,
  };
}

export function defaultRetryCommand(workspaceDir: string, script?: string): string {
  return `sluice manifest ${workspaceDir}${script === undefined ? "" : ` --script ${script}`}`;
}

function issueText(issue: unknown): string {
  if (typeof issue === "string") return issue;
  if (issue !== null && typeof issue === "object") {
    const { path, message } = issue as { path?: unknown; message?: unknown };
    const where = Array.isArray(path) ? path.join(".") : typeof path === "string" ? path : "";
    return where ? `${where}: ${String(message)}` : String(message);
  }
  return String(issue);
}
