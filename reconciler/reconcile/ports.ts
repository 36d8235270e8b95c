/**
 * The reconcile loop's view of the parts built elsewhere. The daemon's composition root
 * wires the real ones (reconciler/manifest, schemas' validateManifest, runner/scheduler);
 * tests use the in-memory target and small real generators.
 */
import type { DeploymentDiff, JobLike } from "../diff/index.js";
import type { CommitMeta, DeploymentKind } from "../history/index.js";

export interface ManifestPortResult {
  /** The manifest as dlt produced it (PUA markers stripped), without version fields. */
  manifest: Record<string, unknown> & { jobs: JobLike[] };
  /** job_ref → dlt's `hash_job_definition`, computed in the workspace environment. */
  jobHashes: Record<string, string>;
  /** dlt's `generate_manifest_hash` of the manifest. */
  manifestHash: string;
  warnings: string[];
  dltVersion: string | null;
}

export interface ManifestPort {
  /**
   * Builds or reuses the workspace environment and runs dlt's generator in it. User errors
   * (import errors, invalid decorators) are SluiceErrors; infrastructure trouble that a retry
   * may fix should carry `details.transient = true`.
   */
  generate(input: { workspace: string; workspaceDir: string; commit: string }): Promise<ManifestPortResult>;
}

export interface ValidationIssue {
  path: string;
  message: string;
}

export interface ManifestValidatorPort {
  /** Every error found (warnings are not issues). An empty list means valid. */
  validate(manifest: Record<string, unknown>): ValidationIssue[];
}

export interface ApplyRequest {
  workspace: string;
  kind: DeploymentKind;
  version: number | null;
  versionHash: string | null;
  commit: CommitMeta;
  /** Directory holding the workspace files of this commit (empty string on removal). */
  checkoutDir: string;
  /** The manifest with version fields; its `jobs` are the jobs that must be active after apply. */
  manifest: Record<string, unknown> & { jobs: JobLike[] };
  jobHashes: Record<string, string>;
  diff: DeploymentDiff;
}

/**
 * Where deployments go (the scheduler). `apply` is all-or-nothing: when it throws, the
 * previously applied deployment must still be the one running.
 */
export interface DeploymentTarget {
  apply(request: ApplyRequest): Promise<void>;
  /** Every check `apply` makes, without applying (dry runs); throws what `apply` would. */
  check?(workspace: string, jobs: readonly JobLike[], jobHashes: Readonly<Record<string, string>>): void;
}

/** Git access for one workspace (its repo, branch and folder). */
export interface WorkspaceGitPort {
  /** Tree of the workspace folder at `sha`, null when the folder does not exist there. */
  treeOf(sha: string): Promise<string | null>;
  commitMeta(sha: string): Promise<CommitMeta>;
  /** Checks out the workspace folder of `sha` into a fresh directory and returns it. */
  checkout(sha: string): Promise<string>;
}
