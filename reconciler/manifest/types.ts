/** What manifest generation produces and how it is told to run. */
import type { Manifest } from "../../schemas/index.js";

export const ManifestExecutorKind = { docker: "docker", local: "local" } as const;
export type ManifestExecutorKind = (typeof ManifestExecutorKind)[keyof typeof ManifestExecutorKind];

export interface ManifestEnvironmentInfo {
  executor: ManifestExecutorKind;
  /** Docker image (docker executor). */
  image?: string;
  /** Environment cache key (docker executor). */
  key?: string;
  /** Interpreter path (local executor). */
  pythonPath?: string;
  /** True when an existing environment was used as is. */
  reused: boolean;
  /** Time spent building or checking the environment. */
  prepareMs: number;
  /** Time spent running the generator (container or process included). */
  generateMs: number;
  /** Of that, time dlt's worker ran inside the interpreter (absent with an older wrapper document). */
  workerMs?: number;
  /** Of that, time the wrapper's main ran (worker, hashes or diagnostics); the rest is start-up. */
  wrapperMs?: number;
  pythonVersion: string;
}

export interface GeneratedManifest {
  /** The validated manifest as dlt's worker produced it (typed-JSON markers removed, declared triggers). */
  manifest: Manifest;
  /** dlt's generator and validation warnings, then Sluice's own. */
  warnings: string[];
  /** job_ref → dlt's `hash_job_definition` of the job as it appears in the manifest. */
  jobHashes: Record<string, string>;
  /** dlt's `generate_manifest_hash`: what the first version bump stores as `version_hash`. */
  manifestHash: string;
  dltVersion: string;
  /** Module dlt imported (`__deployment__` or the script's module path). */
  deploymentModule: string;
  adHoc: boolean;
  environment: ManifestEnvironmentInfo;
}
