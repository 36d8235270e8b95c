/** The one JSON document printed by `reconciler/python/sluice_manifest.py`. */
import { z } from "zod";
import { SluiceError } from "../../core/index.js";
import { lastLine } from "./locate.js";

const Location = z.object({
  file: z.string().optional(),
  line: z.number().int().nullable().optional(),
  function: z.string().optional(),
  source: z.string().optional(),
});

export const WrapperDiagnostics = Location.extend({
  exception: z.string().optional(),
  message: z.string().optional(),
  chain: z.array(z.string()).optional(),
  /** job_ref → where its decorated function is defined (for validation errors naming jobs). */
  jobs: z.record(z.string(), Location).optional(),
  wrapper_error: z.string().optional(),
});
export type WrapperDiagnostics = z.infer<typeof WrapperDiagnostics>;

export const WrapperOutput = z.object({
  exit_code: z.number().int(),
  worker_stdout: z.string(),
  worker_stderr: z.string(),
  job_hashes: z.record(z.string(), z.string()),
  manifest_hash: z.string().nullable(),
  dlt_version: z.string().nullable(),
  python_version: z.string(),
  pua_start: z.number().int(),
  diagnostics: WrapperDiagnostics.nullable(),
  timed_out: z.boolean(),
  hash_error: z.string().optional(),
  /** Milliseconds inside the interpreter: dlt's worker, hashing or diagnostics, the wrapper's main. */
  timings: z.object({ worker_ms: z.number(), after_worker_ms: z.number(), total_ms: z.number() }).partial().optional(),
});
export type WrapperOutput = z.infer<typeof WrapperOutput>;

export interface ProcessOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

/**
 * Parses the wrapper's stdout. The wrapper itself failing (no python, no dlt in the environment,
 * killed by the timeout) is reported here; failures of dlt's worker are in the returned document.
 */
export function parseWrapperOutput(output: ProcessOutput, context: { workspace: string; timeoutMs: number }): WrapperOutput {
  if (output.timedOut) {
    throw new SluiceError("manifest_timeout", `manifest generation for ${context.workspace} did not finish within ${Math.round(context.timeoutMs / 1000)} s`, {
      hint: "look for code that blocks at import time (network calls, input(), long loops) in the workspace modules",
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(output.stdout.trim());
  } catch {
    throw wrapperBroke(output, context.workspace);
  }
  const parsed = WrapperOutput.safeParse(raw);
  if (!parsed.success) throw wrapperBroke(output, context.workspace);
  return parsed.data;
}

function wrapperBroke(output: ProcessOutput, workspace: string): SluiceError {
  const reason = lastLine(output.stderr) ?? lastLine(output.stdout) ?? exitText(output.exitCode);
  const noDlt = /No module named '?dlt/.test(output.stderr);
  return new SluiceError("manifest_wrapper_failed", `could not run dlt's manifest generator for ${workspace}: ${reason}`, {
    hint: noDlt
      ? "the workspace environment has no dlt: add dlt[workspace] to the workspace dependencies"
      : output.exitCode === 137
        ? "importing the deployment module must fit in the generator's memory (1 GiB in Docker): move large allocations into job functions"
        : "run with SLUICE_DEBUG=1 for details, or check that the workspace environment builds",
    details: { exitCode: output.exitCode, stderr: output.stderr.slice(-4000) },
  });
}

/** A silent exit: 128 + N is a process killed by signal N (the same for a cold container and a warm fork). */
function exitText(exitCode: number): string {
  if (exitCode === 137) return "killed with exit code 137 (SIGKILL: most likely out of memory)";
  if (exitCode === 139) return "crashed with exit code 139 (SIGSEGV in native code)";
  if (exitCode > 128 && exitCode < 160) return `killed by signal ${exitCode - 128} (exit code ${exitCode})`;
  return `exited with code ${exitCode}`;
}
