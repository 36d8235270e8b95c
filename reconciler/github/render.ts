/**
 * Pure rendering of what GitHub shows: the `sluice/deploy` summary table, annotations from a
 * failure cause, and the PR preview comment (summary, diff table, schedule changes, warnings,
 * errors, details), split to fit GitHub's 65,536-character comment limit.
 */
import { posix } from "node:path";
import type { DeploymentDiff, JobLike } from "../diff/index.js";
import type { FailureCause } from "../history/index.js";
import type { JobDefinition } from "../../runner/scheduler/index.js";
import { compileJob, previewNextFires } from "../../runner/scheduler/index.js";
import { describeTrigger } from "../../schemas/index.js";
import type { Annotation } from "./octokit-adapter.js";

/** GitHub's limit for an issue comment body. */
export const COMMENT_LIMIT = 65_536;
export const PREVIEW_MARKER = "<!-- sluice:preview -->";

export interface JobRow {
  job: string;
  change: "added" | "updated" | "unchanged" | "archived";
  triggers: string;
  nextRun: string;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function triggersOf(job: JobLike | undefined): string[] {
  return Array.isArray(job?.triggers) ? (job.triggers as string[]) : [];
}

/** The next `count` fire times of a job in its own timezone ("2026-12-01 09:00 Europe/Berlin"). */
export function nextRuns(job: JobLike, count: number, nowMs: number): string[] {
  try {
    const compiled = compileJob(job as unknown as JobDefinition);
    return previewNextFires(compiled, count, nowMs).map((f) => `${f.local.slice(0, 16).replace("T", " ")} ${compiled.timezone}`);
  } catch {
    return [];
  }
}

/** Triggers in words ("every 5 minutes", "hourly at :00", "daily at 03:00 (Europe/Berlin)"). */
export function humanTriggers(job: JobLike | undefined): string {
  const timezone = (job?.require as { timezone?: string } | undefined)?.timezone ?? "UTC";
  const list = triggersOf(job).map((raw) => describeTrigger(raw, timezone));
  return list.length ? list.join(", ") : "manual only";
}

/** One row per job of the diff, in diff order: added, updated, unchanged, archived. */
export function jobRows(diff: DeploymentDiff, jobs: readonly JobLike[], previous: readonly JobLike[], nowMs: number): JobRow[] {
  const byRef = new Map(jobs.map((j) => [j.job_ref, j]));
  const before = new Map(previous.map((j) => [j.job_ref, j]));
  const rows: JobRow[] = [];
  for (const change of ["added", "updated", "unchanged", "archived"] as const) {
    for (const entry of diff[change]) {
      const job = byRef.get(entry.jobRef) ?? before.get(entry.jobRef);
      const next = change === "archived" || !job ? "—" : (nextRuns(job, 1, nowMs)[0] ?? "—");
      rows.push({ job: entry.jobRef, change, triggers: change === "archived" ? "—" : humanTriggers(job), nextRun: next });
    }
  }
  return rows;
}

export function jobTable(rows: readonly JobRow[]): string {
  if (rows.length === 0) return "_No jobs._";
  const lines = ["| job | change | triggers | next run |", "|---|---|---|---|"];
  for (const r of rows) lines.push(`| \`${cell(r.job)}\` | ${r.change} | ${cell(r.triggers)} | ${cell(r.nextRun)} |`);
  return lines.join("\n");
}

export function diffCounts(diff: DeploymentDiff): string {
  return `${diff.added.length} added, ${diff.updated.length} updated, ${diff.unchanged.length} unchanged, ${diff.archived.length} archived`;
}

/**
 * Annotations for the file and line a failure cause names ("jobs.py line 6", "__deployment__.py:12");
 * paths are made relative to the repo root with the workspace folder.
 */
export function annotationsOf(cause: FailureCause, folder: string): Annotation[] {
  const found: Annotation[] = [];
  const re = /([\w./-]+\.py)(?: line |:)(\d+)/g;
  for (const match of cause.message.matchAll(re)) {
    const file = (match[1] ?? "").replace(/^\/workspace\//, "").replace(/^\.\//, "");
    const line = Number(match[2]);
    if (posix.isAbsolute(file) || !Number.isInteger(line) || line < 1) continue;
    const path = folder ? posix.join(folder, file) : file;
    if (found.some((a) => a.path === path && a.start_line === line)) continue;
    found.push({ path, start_line: line, end_line: line, annotation_level: "failure", title: cause.code, message: cause.message.slice(0, 64_000) });
  }
  return found;
}

/** A link to `path:line` on GitHub at `sha` (validation errors in the PR comment). */
export function blobLink(serverUrl: string, fullName: string, sha: string, annotation: Annotation): string {
  return `[${annotation.path}:${annotation.start_line}](${serverUrl}/${fullName}/blob/${sha}/${annotation.path}#L${annotation.start_line})`;
}

/** Splits text into parts of at most `limit` characters, at line breaks where possible. */
export function splitToFit(text: string, limit = COMMENT_LIMIT - 200): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    let cut = rest.lastIndexOf("\n", limit);
    if (cut < limit / 2) cut = limit;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n/, "");
  }
  parts.push(rest);
  return parts;
}
