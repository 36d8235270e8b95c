/**
 * Job references (spec manifest.md §4): `jobs.<name>` or `jobs.<section>.<name>`; resolution of
 * user input against known refs; display labels.
 */

export const JOB_REF_PREFIX = "jobs.";
export const DASHBOARD_JOB_REF = "jobs.workspace.dashboard";
export const RESERVED_JOB_PART = "py";
const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class InvalidJobRefError extends Error {
  override readonly name = "InvalidJobRefError";
  constructor(
    readonly ref: string,
    readonly reason: string,
  ) {
    super(`Invalid job ref '${ref}': ${reason}`);
  }
}

export class JobRefNotFoundError extends Error {
  override readonly name = "JobRefNotFoundError";
  constructor(
    readonly ref: string,
    readonly candidates: readonly string[],
  ) {
    super(`job ref '${ref}' not found in manifest${candidates.length ? `; available: ${candidates.join(", ")}` : ""}`);
  }
}

export class AmbiguousJobRefError extends Error {
  override readonly name = "AmbiguousJobRefError";
  constructor(
    readonly ref: string,
    readonly candidates: readonly string[],
  ) {
    super(`ambiguous job name '${ref}', matches: ${candidates.join(", ")}`);
  }
}

export interface JobRefParts {
  /** Empty for module-level jobs (`jobs.<name>`). */
  section: string;
  name: string;
}

/** dlt's `parse_job_ref`: prefix and part count only (no identifier check). */
export function parseJobRef(ref: string): JobRefParts {
  if (!ref.startsWith(JOB_REF_PREFIX)) throw new InvalidJobRefError(ref, `must start with '${JOB_REF_PREFIX}'`);
  const parts = ref.slice(JOB_REF_PREFIX.length).split(".");
  if (parts.length === 1) return { section: "", name: parts[0] ?? "" };
  if (parts.length === 2) return { section: parts[0] ?? "", name: parts[1] ?? "" };
  throw new InvalidJobRefError(ref, "must be jobs.<name> or jobs.<section>.<name>");
}

export function isIdentifier(text: string): boolean {
  return IDENTIFIER_RE.test(text);
}

/** Problems beyond dlt's grammar that the backend also rejects: non-identifier or reserved parts. */
export function jobRefIssues(ref: string): string[] {
  let parts: JobRefParts;
  try {
    parts = parseJobRef(ref);
  } catch (error) {
    if (error instanceof InvalidJobRefError) return [error.message];
    throw error;
  }
  const issues: string[] = [];
  if (parts.section === RESERVED_JOB_PART) issues.push(`job '${ref}': section 'py' is reserved`);
  if (parts.name === RESERVED_JOB_PART) issues.push(`job '${ref}': name 'py' is reserved`);
  if (parts.section !== "" && !isIdentifier(parts.section)) {
    issues.push(`job '${ref}': section '${parts.section}' is not an identifier`);
  }
  if (!isIdentifier(parts.name)) issues.push(`job '${ref}': name '${parts.name}' is not an identifier`);
  return issues;
}

export function makeJobRef(section: string, name: string): string {
  return section ? `${JOB_REF_PREFIX}${section}.${name}` : `${JOB_REF_PREFIX}${name}`;
}

/** Last dotted component of a ref. */
export function jobShortName(ref: string): string {
  return ref.slice(ref.lastIndexOf(".") + 1);
}

function checkExists(ref: string, knownRefs: readonly string[]): string {
  if (!knownRefs.includes(ref)) throw new JobRefNotFoundError(ref, knownRefs);
  return ref;
}

/**
 * dlt's `resolve_job_ref`: `jobs.…` validated as is, `section.name` prefixed, a bare name
 * matched against the last component of the known refs (exactly one match).
 */
export function resolveJobRef(input: string, knownRefs?: readonly string[]): string {
  const ref = input.trim();
  if (!ref) throw new InvalidJobRefError(ref, "must not be empty");
  if (ref.startsWith(JOB_REF_PREFIX)) {
    parseJobRef(ref);
    return knownRefs ? checkExists(ref, knownRefs) : ref;
  }
  const parts = ref.split(".");
  if (parts.length === 2) {
    const full = `${JOB_REF_PREFIX}${ref}`;
    return knownRefs ? checkExists(full, knownRefs) : full;
  }
  if (parts.length === 1) {
    if (!knownRefs) {
      throw new InvalidJobRefError(
        ref,
        "bare job name requires a job_refs list for resolution; use section.name or jobs.section.name form",
      );
    }
    const matches = knownRefs.filter((known) => jobShortName(known) === ref);
    if (matches.length === 1) return matches[0] as string;
    if (matches.length === 0) throw new JobRefNotFoundError(ref, knownRefs);
    throw new AmbiguousJobRefError(ref, matches);
  }
  throw new InvalidJobRefError(ref, "use name, section.name, or jobs.section.name form");
}

export interface JobLabelInput {
  job_ref: string;
  expose?: { display_name?: string | undefined } | undefined;
  deliver?: { pipeline_name?: string | undefined } | undefined;
}

/** dlt's `format_job_label`: display name or name, then pipeline name or section in parentheses. */
export function formatJobLabel(job: JobLabelInput): string {
  const { section, name } = parseJobRef(job.job_ref);
  const label = job.expose?.display_name || name;
  const pipeline = job.deliver?.pipeline_name;
  if (pipeline) return `${label} (${pipeline})`;
  if (!section || section === name) return label;
  return `${label} (${section})`;
}

/**
 * Sluice identifies a job by its workspace and dlt's job ref: two workspaces may both hold
 * `jobs.workspace.dashboard` (dlt synthesizes it in every deployment workspace). The key is
 * `<workspace>/<job_ref>`; a job deployed without a workspace (simulations, unit tests) keys
 * by its bare ref. Workspace names never contain `/` (they are folder or repo names).
 */
export const JOB_KEY_SEPARATOR = "/";

export function jobKey(workspace: string | null | undefined, ref: string): string {
  return workspace ? `${workspace}${JOB_KEY_SEPARATOR}${ref}` : ref;
}

export interface JobKeyParts {
  workspace: string | null;
  ref: string;
}

/** Splits a key (or user input like `usgs/backfill_usgs`) at the first `/`. */
export function splitJobKey(key: string): JobKeyParts {
  const at = key.indexOf(JOB_KEY_SEPARATOR);
  return at < 0 ? { workspace: null, ref: key } : { workspace: key.slice(0, at), ref: key.slice(at + 1) };
}
