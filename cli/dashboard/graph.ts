/** The job graph as text lines: follow-up (`success` / `fail`) and freshness (`fresh`) edges, upstream first. */
import type { DashboardJobView } from "../daemon/runtime-types.js";

export interface GraphLine {
  /** Tree drawing before the node (`├─ `, `│  └─ `). */
  prefix: string;
  /** The edge that leads here (`after success`, …); null for roots. */
  edge: string | null;
  key: string | null;
  /** A workspace title line when key is null. */
  title?: string;
  /** The node was drawn above (a second upstream, or a cycle). */
  repeated: boolean;
}

const EDGE_WORDS = { success: "on success", fail: "on failure", fresh: "freshness" } as const;

export function graphLines(jobs: readonly DashboardJobView[]): GraphLine[] {
  const byWorkspace = new Map<string, DashboardJobView[]>();
  for (const job of jobs) {
    const ws = job.workspace ?? "(no workspace)";
    byWorkspace.set(ws, [...(byWorkspace.get(ws) ?? []), job]);
  }
  const out: GraphLine[] = [];
  for (const [workspace, members] of [...byWorkspace].sort(([a], [b]) => a.localeCompare(b))) {
    out.push({ prefix: "", edge: null, key: null, title: workspace, repeated: false });
    out.push(...workspaceLines(members));
  }
  return out;
}

function workspaceLines(jobs: readonly DashboardJobView[]): GraphLine[] {
  const keys = new Set(jobs.map((j) => j.key));
  const children = new Map<string, Array<{ key: string; kind: keyof typeof EDGE_WORDS }>>();
  for (const job of jobs) {
    for (const up of job.upstreams) {
      if (!keys.has(up.key)) continue;
      children.set(up.key, [...(children.get(up.key) ?? []), { key: job.key, kind: up.kind }]);
    }
  }
  const roots = jobs.filter((j) => !j.upstreams.some((u) => keys.has(u.key))).map((j) => j.key).sort();
  const out: GraphLine[] = [];
  const seen = new Set<string>();
  const walk = (key: string, indent: string, last: boolean, edge: string | null) => {
    const repeated = seen.has(key);
    seen.add(key);
    out.push({ prefix: `${indent}${last ? "└─ " : "├─ "}`, edge, key, repeated });
    if (repeated) return;
    const kids = [...(children.get(key) ?? [])].sort((a, b) => a.key.localeCompare(b.key));
    kids.forEach((kid, i) => walk(kid.key, `${indent}${last ? "   " : "│  "}`, i === kids.length - 1, EDGE_WORDS[kid.kind]));
  };
  roots.forEach((key, i) => walk(key, "", i === roots.length - 1, null));
  // jobs only reachable through a cycle
  for (const job of jobs) if (!seen.has(job.key)) walk(job.key, "", true, null);
  return out;
}
