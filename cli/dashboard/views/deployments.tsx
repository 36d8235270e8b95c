// @jsxRuntime automatic
// @jsxImportSource react
/** Deployment history of the selected job's workspace: version, commit, author, diff summary. */
import type { DeploymentRecord } from "../../../reconciler/history/index.js";
import type { Column } from "../format.js";
import { Table } from "./table.js";

export function diffSummary(d: DeploymentRecord): string {
  if (!d.diff) return d.cause ? d.cause.message.split("\n")[0] ?? "" : "-";
  return `+${d.diff.added.length} ~${d.diff.updated.length} -${d.diff.archived.length} =${d.diff.unchanged.length}`;
}

const STATUS_OF: Record<string, string> = { applied: "completed", failed: "failed", superseded: "skipped" };

export function deploymentColumns(): Column<DeploymentRecord>[] {
  return [
    { title: "VERSION", width: 7, priority: 0, cell: (d) => (d.version === null ? "-" : `v${d.version}`) },
    { title: "STATUS", width: 10, priority: 0, cell: (d) => d.status },
    { title: "COMMIT", width: 8, priority: 1, cell: (d) => d.commit.sha.slice(0, 7) },
    { title: "AUTHOR", width: 14, priority: 2, cell: (d) => d.commit.authorName ?? "-" },
    { title: "AT", width: 17, priority: 4, cell: (d) => d.finishedAt.slice(0, 16).replace("T", " ") },
    { title: "DIFF / CAUSE", width: 20, priority: 1, cell: (d) => `${diffSummary(d)}${d.rollbackToVersion !== null ? ` (rollback to v${d.rollbackToVersion})` : ""}` },
  ];
}

export function DeploymentsView(props: { workspace: string | null; deployments: readonly DeploymentRecord[] | undefined; selected: number; height: number; width: number }) {
  return (
    <Table
      columns={deploymentColumns()}
      rows={props.deployments ?? []}
      selected={props.selected}
      height={props.height}
      width={props.width}
      status={(d) => STATUS_OF[d.status]}
      empty={props.workspace ? (props.deployments ? "no deployments" : "loading deployments…") : "select a job of a workspace first"}
    />
  );
}
