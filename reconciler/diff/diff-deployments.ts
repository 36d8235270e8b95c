import { SluiceError } from "../../core/index.js";
import type { DeploymentDiff, DeploymentJobs, JobChange, PreviousDeploymentJobs } from "./types.js";

/**
 * Compares the deployed job set with the next one by per-job hash (manifest-generation.md §5).
 * Order: new jobs in manifest order, archived jobs in previous manifest order.
 */
export function diffDeployments(previous: PreviousDeploymentJobs | null, next: DeploymentJobs): DeploymentDiff {
  const diff: DeploymentDiff = { added: [], updated: [], unchanged: [], archived: [] };
  const previousRefs = new Set((previous?.jobs ?? []).map((job) => job.job_ref));
  const archivedBefore = new Set(previous?.archivedRefs ?? []);
  const nextRefs = new Set<string>();

  for (const job of next.jobs) {
    const ref = job.job_ref;
    if (nextRefs.has(ref)) {
      throw new SluiceError("manifest_duplicate_job_ref", `The manifest lists job '${ref}' twice.`, {
        hint: "Job refs must be unique within a workspace; rename one of the jobs.",
        details: { job: ref },
      });
    }
    nextRefs.add(ref);
    const hash = requireHash(next, ref, "new");
    if (!previous || !previousRefs.has(ref)) {
      const change: JobChange = { jobRef: ref, status: "added", hash };
      if (archivedBefore.has(ref)) change.revived = true;
      diff.added.push(change);
      continue;
    }
    const previousHash = requireHash(previous, ref, "deployed");
    const status = previousHash === hash ? "unchanged" : "updated";
    diff[status].push({ jobRef: ref, status, hash, previousHash });
  }

  for (const job of previous?.jobs ?? []) {
    if (nextRefs.has(job.job_ref)) continue;
    diff.archived.push({ jobRef: job.job_ref, status: "archived", previousHash: previous?.jobHashes[job.job_ref] });
  }
  return diff;
}

/** True when applying the diff changes no job (an unchanged push). */
export function isEmptyDiff(diff: DeploymentDiff): boolean {
  return diff.added.length === 0 && diff.updated.length === 0 && diff.archived.length === 0;
}

export function summarizeDiff(diff: DeploymentDiff): Record<keyof DeploymentDiff, number> {
  return {
    added: diff.added.length,
    updated: diff.updated.length,
    unchanged: diff.unchanged.length,
    archived: diff.archived.length,
  };
}

function requireHash(deployment: DeploymentJobs, ref: string, which: string): string {
  const hash = deployment.jobHashes[ref];
  if (typeof hash !== "string" || hash.length === 0) {
    throw new SluiceError("job_hash_missing", `No job hash for '${ref}' in the ${which} deployment.`, {
      hint: "Job hashes come from dlt's hash_job_definition; regenerate the manifest.",
      details: { job: ref },
    });
  }
  return hash;
}
