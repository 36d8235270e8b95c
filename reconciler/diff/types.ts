/**
 * Shapes the diff works on. A job is any object with a `job_ref`; its identity for change
 * detection is the per-job hash dlt computed (`hash_job_definition`), never a JS re-serialization.
 */
export interface JobLike {
  job_ref: string;
  [key: string]: unknown;
}

export interface DeploymentJobs {
  jobs: readonly JobLike[];
  /** job_ref → hash of the job definition as it appears in the manifest. */
  jobHashes: Readonly<Record<string, string>>;
}

export interface PreviousDeploymentJobs extends DeploymentJobs {
  /** Refs archived earlier in this workspace; a ref coming back is `added` with `revived: true`. */
  archivedRefs?: readonly string[];
}

export const JobChangeStatus = {
  added: "added",
  updated: "updated",
  unchanged: "unchanged",
  archived: "archived",
} as const;
export type JobChangeStatus = (typeof JobChangeStatus)[keyof typeof JobChangeStatus];

export interface JobChange {
  jobRef: string;
  status: JobChangeStatus;
  /** Hash in the new deployment (absent for archived jobs). */
  hash?: string;
  /** Hash in the previous deployment (absent for added jobs). */
  previousHash?: string;
  /** Only on `added`: the ref existed before and was archived; its job record is re-activated. */
  revived?: boolean;
}

export interface DeploymentDiff {
  added: JobChange[];
  updated: JobChange[];
  unchanged: JobChange[];
  archived: JobChange[];
}
