// @jsxRuntime automatic
// @jsxImportSource react
/** The jobs list: one row per job (archived ones only when toggled), filtered by name, tag or selector. */
import type { DashboardJobView } from "../../daemon/runtime-types.js";
import { lastRunText, nextFireText, type Column } from "../format.js";
import { Table } from "./table.js";

/** A job's name; a name that several listed workspaces share (every workspace has `dashboard`) names its workspace too. */
function nameOf(job: DashboardJobView, shared: ReadonlySet<string>): string {
  const name = job.displayName ?? job.name;
  return `${name}${shared.has(name) && job.workspace ? ` · ${job.workspace}` : ""}${job.archived ? " (archived)" : ""}`;
}

/** Names that more than one of `jobs` carries. */
export function sharedNames(jobs: readonly DashboardJobView[]): Set<string> {
  const seen = new Set<string>();
  const shared = new Set<string>();
  for (const job of jobs) {
    const name = job.displayName ?? job.name;
    if (seen.has(name)) shared.add(name);
    seen.add(name);
  }
  return shared;
}

export function jobColumns(nowMs: number, shared: ReadonlySet<string> = new Set()): Column<DashboardJobView>[] {
  return [
    { title: "NAME", width: 24, priority: 0, cell: (j) => nameOf(j, shared) },
    { title: "WORKSPACE", width: 12, priority: 6, cell: (j) => j.workspace ?? "-" },
    { title: "TYPE", width: 11, priority: 3, cell: (j) => j.type },
    { title: "LAST RUN", width: 28, priority: 1, cell: (j) => lastRunText(j.lastRun, nowMs) },
    { title: "NEXT RUN", width: 26, priority: 4, cell: (j) => nextFireText(j.nextFire, j.timezone) },
    { title: "FRESHNESS", width: 16, priority: 2, cell: (j) => (j.held ? `⏸ held: ${j.held}` : "✓ fresh") },
    { title: "TAGS", width: 12, priority: 7, cell: (j) => j.tags.join(",") || "-" },
    { title: "TRIGGERS", width: 24, priority: 5, cell: (j) => j.humanTriggers.join("; ") || "-" },
  ];
}

export function JobsView(props: { jobs: readonly DashboardJobView[]; selected: number; height: number; width: number; nowMs: number }) {
  return (
    <Table
      columns={jobColumns(props.nowMs, sharedNames(props.jobs))}
      rows={props.jobs}
      selected={props.selected}
      height={props.height}
      width={props.width}
      status={(j) => j.lastRun?.status}
      empty="no jobs (deploy a workspace, or press a to show archived jobs, esc to clear the filter)"
    />
  );
}
