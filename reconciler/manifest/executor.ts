/** Where the wrapper runs: in the workspace's Docker environment, or with a host interpreter. */
import type { ManifestEnvironmentInfo } from "./types.js";
import type { ProcessOutput } from "./wrapper-output.js";

export type ProgressSink = (line: string) => void;

export interface WrapperRun {
  /** Arguments after the script (module, flags). */
  args: string[];
  timeoutMs: number;
}

export interface PreparedInterpreter {
  info: Omit<ManifestEnvironmentInfo, "generateMs">;
  /** Workspace root as the Python process sees it (for traceback paths). */
  workspaceRoot: string;
  runWrapper(run: WrapperRun): Promise<ProcessOutput>;
}

export interface ManifestExecutor {
  readonly kind: ManifestEnvironmentInfo["executor"];
  /** Builds or reuses the environment holding dlt and the workspace's default dependencies. */
  prepare(workspaceDir: string, onProgress?: ProgressSink): Promise<PreparedInterpreter>;
}
