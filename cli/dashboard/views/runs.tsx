// @jsxRuntime automatic
// @jsxImportSource react
/** Runs of the selected job, newest first. */
import type { RunView } from "../../daemon/runtime-types.js";
import { runDuration, windowText, type Column } from "../format.js";
import { Table } from "./table.js";

export function runColumns(nowMs: number): Column<RunView>[] {
  return [
    { title: "#", width: 5, priority: 0, cell: (r) => String(r.number) },
    { title: "STATUS", width: 10, priority: 0, cell: (r) => r.status },
    { title: "TRIGGER", width: 22, priority: 1, cell: (r) => r.trigger },
    { title: "DURATION", width: 8, priority: 1, cell: (r) => runDuration(r, nowMs) },
    { title: "REFRESH", width: 7, priority: 3, cell: (r) => (r.refresh ? "⟳ yes" : "no") },
    { title: "WINDOW (UTC)", width: 26, priority: 4, cell: (r) => windowText(r) },
    { title: "WHERE", width: 24, priority: 5, cell: (r) => r.where ?? "-" },
    { title: "REASON", width: 20, priority: 2, cell: (r) => (r.reason ?? r.cancelCause ?? "").split("\n")[0] ?? "" },
  ];
}

export function RunsView(props: { runs: readonly RunView[] | undefined; selected: number; height: number; width: number; nowMs: number }) {
  return (
    <Table
      columns={runColumns(props.nowMs)}
      rows={props.runs ?? []}
      selected={props.selected}
      height={props.height}
      width={props.width}
      status={(r) => r.status}
      empty={props.runs ? "no runs yet (t triggers the job)" : "loading runs…"}
    />
  );
}
