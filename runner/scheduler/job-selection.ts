/**
 * Jobs by name and by selector across workspaces. dlt resolves names and selectors inside one
 * workspace; a Sluice daemon holds several, and two of them may share a ref (dlt synthesizes
 * `jobs.workspace.dashboard` in every deployment workspace). So a name is resolved in each
 * workspace on its own (`usgs/backfill_usgs` or a default workspace narrows it), and selectors
 * are matched one workspace at a time, follow-up edges included.
 */
import { SluiceError } from "../../core/index.js";
import { AmbiguousJobRefError, JobRefNotFoundError, isSelector, resolveJobRef, selectJobs, splitJobKey, type SelectableJob } from "../../schemas/index.js";
import type { CompiledJob } from "./compiled-job.js";

export interface NameScope {
  /** Only this workspace's jobs (the CLI's `-w`). */
  workspace?: string | undefined;
  /** The workspace a bare name prefers when several workspaces hold it (the CLI's working folder). */
  defaultWorkspace?: string | undefined;
}

function knownWorkspaceError(workspace: string, groups: ReadonlyMap<string | null, unknown>): SluiceError {
  const known = [...groups.keys()].filter((w): w is string => w !== null).sort();
  return new SluiceError("workspace_not_found", `No deployed workspace '${workspace}'.`, {
    hint: known.length > 0 ? `Workspaces: ${known.join(", ")}.` : "Nothing is deployed yet: push a workspace or run `sluice deploy <dir>`.",
  });
}

function groupByWorkspace(jobs: readonly CompiledJob[]): Map<string | null, CompiledJob[]> {
  const groups = new Map<string | null, CompiledJob[]>();
  for (const job of jobs) {
    const list = groups.get(job.workspace);
    if (list) list.push(job);
    else groups.set(job.workspace, [job]);
  }
  return groups;
}

/** How people name a job: `<workspace>/<name>` (the short name, as the CLI accepts it). */
const label = (job: CompiledJob) => (job.workspace ? `${job.workspace}/${job.shortName}` : job.shortName);

/**
 * One job by name: `name`, `section.name`, `jobs.…`, each optionally prefixed `<workspace>/`.
 * Ambiguity across workspaces is an error that lists the candidates, unless the default
 * workspace holds one of them.
 */
export function resolveJobName(input: string, jobs: readonly CompiledJob[], scope: NameScope = {}): CompiledJob {
  const parsed = splitJobKey(input.trim());
  const name = parsed.ref;
  const workspace = parsed.workspace ?? scope.workspace ?? null;
  const groups = groupByWorkspace(jobs);
  if (workspace !== null && !groups.has(workspace)) throw knownWorkspaceError(workspace, groups);
  const matches: CompiledJob[] = [];
  for (const [ws, group] of groups) {
    if (workspace !== null && ws !== workspace) continue;
    const byRef = new Map(group.map((job) => [job.ref, job]));
    try {
      matches.push(byRef.get(resolveJobRef(name, [...byRef.keys()])) as CompiledJob);
    } catch (error) {
      if (error instanceof AmbiguousJobRefError) {
        throw new SluiceError("job_ambiguous", `Job name '${input}' is ambiguous: ${error.candidates.map((c) => (ws ? `${ws}/${c}` : c)).join(", ")}.`, {
          hint: "Name it as section.name or jobs.section.name.",
        });
      }
      if (!(error instanceof JobRefNotFoundError)) throw error;
    }
  }
  if (matches.length === 1) return matches[0] as CompiledJob;
  if (matches.length === 0) {
    const names = [...new Set(jobs.map(label))].sort();
    throw new SluiceError("job_not_found", `No deployed job '${input}'.`, {
      hint: names.length > 0 ? `Deployed jobs: ${names.join(", ")}.` : "Nothing is deployed yet: push a workspace or run `sluice deploy <dir>`.",
    });
  }
  const preferred = matches.filter((job) => job.workspace === scope.defaultWorkspace);
  if (preferred.length === 1) return preferred[0] as CompiledJob;
  throw new SluiceError("job_ambiguous", `Job '${input}' exists in ${matches.length} workspaces: ${matches.map((job) => job.jobRef).join(", ")}.`, {
    hint: `Name one as <workspace>/<job> (e.g. \`${label(matches[0] as CompiledJob)}\`), pass -w <workspace>, or run the command inside the workspace folder.`,
  });
}

export interface CompiledSelection {
  selected: Array<{ job: CompiledJob; trigger: string | null }>;
  followUps: CompiledJob[];
}

/**
 * Selectors (triggers.md §9) and job names over compiled jobs. Names are resolved first
 * (`resolveJobName`, so a name matching two workspaces is an error, not two runs); each
 * workspace's jobs are then matched on their own.
 */
export function selectCompiledJobs(jobs: readonly CompiledJob[], selectors: readonly string[], scope: NameScope = {}): CompiledSelection {
  const patterns = selectors.filter(isSelector);
  const named = selectors.filter((s) => !isSelector(s)).map((name) => resolveJobName(name, jobs, scope));
  const out: CompiledSelection = { selected: [], followUps: [] };
  const groups = groupByWorkspace(jobs);
  if (scope.workspace !== undefined && !groups.has(scope.workspace)) throw knownWorkspaceError(scope.workspace, groups);
  for (const [workspace, group] of groups) {
    if (scope.workspace !== undefined && workspace !== scope.workspace) continue;
    const names = named.filter((job) => job.workspace === workspace).map((job) => `manual:${job.ref}`);
    if (patterns.length === 0 && names.length === 0) continue;
    const byDefinition = new Map<unknown, CompiledJob>(group.map((job) => [job.definition, job]));
    const selection = selectJobs(
      group.map((job) => job.definition as unknown as SelectableJob),
      [...patterns, ...names],
    );
    for (const entry of selection.selected) out.selected.push({ job: byDefinition.get(entry.job) as CompiledJob, trigger: entry.trigger });
    for (const entry of selection.followUps) out.followUps.push(byDefinition.get(entry.job) as CompiledJob);
  }
  return out;
}
