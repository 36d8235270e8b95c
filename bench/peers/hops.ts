/**
 * Where each downstream hop of a kept Sluice home goes (`bench/peers.ts --only sluice-docker --keep`,
 * then `npx tsx bench/peers/hops.ts <work folder>/sluice-docker-home`). Per hop, in ms: the upstream
 * function returned (its stamp) → its end recorded (`sched_runs.finished_ms`) → the downstream run
 * created → running → its function entered (its stamp). Numbers only.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { runLogStamps, type Stamp } from "./measure.js";

interface RunRow {
  run_id: string;
  job_ref: string;
  created_ms: number;
  started_ms: number | null;
  finished_ms: number | null;
}

const home = process.argv[2];
if (!home) {
  console.error("usage: npx tsx bench/peers/hops.ts <kept sluice home>   (bench/peers.ts --keep prints the work folder)");
  process.exit(2);
}
const db = new Database(join(home, "sluice.db"), { readonly: true });
const rows = db.prepare("SELECT run_id, job_ref, created_ms, started_ms, finished_ms FROM sched_runs WHERE status = 'completed' ORDER BY created_ms").all() as RunRow[];
const runs = rows.flatMap((row) => {
  const stamp: Stamp | undefined = runLogStamps(join(home, "logs", `${row.run_id}.jsonl`))[0];
  return stamp && row.started_ms !== null && row.finished_ms !== null ? [{ ...row, started_ms: row.started_ms, finished_ms: row.finished_ms, stamp }] : [];
});

const columns = ["upstream returned → end recorded", "→ downstream created", "→ running", "→ function entered", "total"];
const hops: number[][] = [];
for (let i = 1; i < runs.length; i++) {
  const [up, down] = [runs[i - 1]!, runs[i]!];
  if (up.stamp.job === "report" || down.stamp.job === "ingest") continue;
  const upEnd = up.stamp.end * 1000;
  const downStart = down.stamp.start * 1000;
  hops.push([up.finished_ms - upEnd, down.created_ms - up.finished_ms, down.started_ms - down.created_ms, downStart - down.started_ms, downStart - upEnd]);
}
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
console.log(`| hop | ${columns.join(" | ")} |`);
console.log(`|---|${columns.map(() => "---").join("|")}|`);
hops.forEach((hop, i) => console.log(`| ${i + 1} | ${hop.map((ms) => ms.toFixed(0)).join(" | ")} |`));
console.log(`| p50 of ${hops.length} | ${columns.map((_, c) => median(hops.map((hop) => hop[c]!)).toFixed(0)).join(" | ")} |`);
