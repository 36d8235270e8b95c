/** Sluice's Python wrapper around dlt's worker (reconciler/python/sluice_manifest.py). */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { ManifestTarget } from "./target.js";

export const WRAPPER_SCRIPT_PATH = fileURLToPath(new URL("../python/sluice_manifest.py", import.meta.url));

export function readWrapperScript(): Promise<string> {
  return readFile(WRAPPER_SCRIPT_PATH, "utf8");
}

/**
 * Arguments after the script: module, ad-hoc flag, and a worker timeout below the outer one, with
 * room for container start-up and the wrapper's report.
 */
export function wrapperArgs(target: ManifestTarget, timeoutMs: number): string[] {
  const workerSeconds = Math.max(1, Math.floor((timeoutMs * 0.85 - 2000) / 1000));
  return [target.module, ...(target.adHoc ? ["--no-use-all"] : []), "--worker-timeout", String(workerSeconds)];
}

/** Environment for the interpreter: no bytecode next to a read-only workspace, UTF-8 output. */
export const WRAPPER_ENV = {
  PYTHONDONTWRITEBYTECODE: "1",
  PYTHONIOENCODING: "utf-8",
  PYTHONUNBUFFERED: "1",
} as const;
