// @jsxRuntime automatic
// @jsxImportSource react
/** The jobs list: one row per job (archived ones only when toggled), filtered by name, tag or selector. */
import type { DashboardJobView } from "../../daemon/runtime-types.js";
import { lastRunText, nextFireText, type Column } from "../format.js";
import { Table } from "./table.js";

export function jobColumns(nowMs: number): Column<DashboardJobView>[] {
  return [
    { title: "NAME", width: 24, priority: 0, cell: (j) => `${j.displayName ?? j.name}${j.archived ? " (archived)" : ""}` },
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
      columns={jobColumns(props.nowMs)}
      rows={props.jobs}
      selected={props.selected}
      height={props.height}
      width={props.width}
      status={(j) => j.lastRun?.status}
      empty="no jobs (deploy a workspace, or press a to show archived jobs, esc to clear the filter)"
    />
  );
}
