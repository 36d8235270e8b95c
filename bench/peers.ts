/**
 * Sluice side by side with Airflow 3, Dagster and Prefect 3 on this machine, on the same work: a
 * chain `ingest` (cron every minute) → `transform` (on ingest's success) → `report` (on transform's
 * success) of trivial Python jobs that record when they ran (bench/peers/stamp.py). Numbers only,
 * nothing asserted. The systems run one after the other, never at the same time.
 *
 * Per system: cron tick → ingest's function started, upstream end → downstream function started,
 * tick → report ended (p50/p99 over the ticks), and the control plane's CPU and memory (sum over
 * its process tree, from /proc) while idle between chains. Then ratios Sluice ÷ best peer.
 *
 * Run: npx tsx bench/peers.ts [--quick] [--ticks N] [--only sluice-local,airflow,...] [--variant V] [--json FILE]
 *   --quick: 2 ticks per system (5 systems × ~2 min; one tick per wall minute is the floor).
 *   default: 20 ticks per system (~1 h 50 min).
 *   --variant trivial (default): every job only records its stamps.
 *   --variant fruitshop: `ingest` runs the fruitshop fixture's dlt pipeline into a DuckDB file
 *     (in every system; transform and report stay trivial); rows are labelled with the variant and
 *     a second table gives ingest's duration (function entered → returned).
 * Peers are installed (pinned, outside the checkout) by bench/peers/setup.sh, which this runs first.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { assembleChains, chainNumbers, combineIdle, percentile, sampleIdle, type ChainNumbers, type IdleUse } from "./peers/measure.js";
import { airflow, dagster, prefect, VARIANTS, type BenchSystem, type Variant } from "./peers/peers.js";
import { sleep } from "./peers/process.js";
import { sluiceDocker, sluiceLocal } from "./peers/sluice.js";

const USAGE = `usage: npx tsx bench/peers.ts [--quick] [--ticks N] [--only sluice-local,sluice-docker,airflow,dagster,prefect] [--variant trivial|fruitshop] [--json FILE] [--keep]
  --quick     2 ticks per system instead of 20 (one tick per wall minute)
  --ticks N   cron ticks measured per system
  --only IDS  the systems to run, comma-separated
  --variant   trivial (default: jobs only record stamps) or fruitshop (ingest loads the fixture pipeline)
  --json FILE the results as JSON
  --keep      keep the temp directory with every system's home and stamps
`;
const parsed = (() => {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      options: { quick: { type: "boolean" }, keep: { type: "boolean" }, help: { type: "boolean", short: "h" }, ticks: { type: "string" }, only: { type: "string" }, variant: { type: "string" }, json: { type: "string" } },
    }).values;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
})();
if (parsed.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const QUICK = parsed.quick === true;
const TICKS = Number(parsed.ticks ?? (QUICK ? 2 : 20));
const SYSTEMS: BenchSystem[] = [sluiceLocal, sluiceDocker, airflow, dagster, prefect];
const ONLY = parsed.only?.split(",");
const PEER_IDS = new Set(["airflow", "dagster", "prefect"]);
const VARIANT = (parsed.variant ?? "trivial") as Variant;
if (!VARIANTS.includes(VARIANT)) {
  process.stderr.write(`unknown --variant '${VARIANT}': use one of ${VARIANTS.join(", ")}\n`);
  process.exit(2);
}

interface Result {
  id: string;
  label: string;
  config: string;
  ticks: number;
  numbers: ChainNumbers;
  /** ingest's function entered → returned, per chain (s). */
  ingestSeconds: number[];
  idle: IdleUse | undefined;
  error?: string;
}

const log = (line: string) => process.stderr.write(`[peers ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** Starts `system`, waits for `TICKS` chains from the first tick ≥ 10 s after it was ready, measures idle windows between them. */
async function measure(system: BenchSystem, root: string): Promise<Result> {
  const label = VARIANT === "trivial" ? system.label() : `${system.label()} [${VARIANT}]`;
  log(`${label}: starting`);
  const running = await system.start(root, VARIANT);
  const fromTick = Math.ceil((running.readyAt + 10_000) / 60_000) * 60;
  log(`${label}: ready; counting chains from ${new Date(fromTick * 1000).toISOString().slice(11, 19)}`);
  const idle: IdleUse[] = [];
  let chains = assembleChains(running.stamps(), fromTick);
  const deadline = (fromTick + TICKS * 60 + 120) * 1000;
  let seen = 0;
  try {
    while (chains.length < TICKS && Date.now() < deadline) {
      if (chains.length > seen) {
        seen = chains.length;
        log(`${label}: chain ${seen}/${TICKS} (tick → report ended ${(chains[seen - 1]!.report.end - chains[seen - 1]!.tick).toFixed(2)} s)`);
        const nextTick = (Math.floor(Date.now() / 60_000) + 1) * 60_000;
        await sleep(3000);
        if (nextTick - Date.now() > 12_000) idle.push(await sampleIdle(running.roots, nextTick - 2000));
      }
      await sleep(500);
      chains = assembleChains(running.stamps(), fromTick);
    }
  } finally {
    await sleep(5000); // let the last run's processes exit before the stop
    await running.stop();
  }
  const error = chains.length < TICKS ? `only ${chains.length} of ${TICKS} chains completed in time` : undefined;
  if (error) log(`${label}: ${error}`);
  const counted = chains.slice(0, TICKS);
  const ingestSeconds = counted.map((c) => c.ingest.end - c.ingest.start);
  return { id: system.id, label, config: system.config, ticks: chains.length, numbers: chainNumbers(counted), ingestSeconds, idle: combineIdle(idle), error };
}

const s = (v: number) => (Number.isNaN(v) ? "–" : `${v.toFixed(2)} s`);
const pair = (values: number[]) => `${s(percentile(values, 50))} / ${s(percentile(values, 99))}`;

/** The value of each column, for ratios (lower is better everywhere). */
const COLUMNS: Array<[string, (r: Result) => number]> = [
  ["tick → ingest started p50", (r) => percentile(r.numbers.tickToStart, 50)],
  ["upstream end → downstream started p50", (r) => percentile(r.numbers.upToDown, 50)],
  ["tick → report ended p50", (r) => percentile(r.numbers.endToEnd, 50)],
  ["idle CPU %", (r) => r.idle?.cpuPercent ?? Number.NaN],
  ["idle PSS MB", (r) => r.idle?.pssMb ?? Number.NaN],
];

function table(results: Result[]): string {
  const rows = [
    "| system | ticks | tick → ingest started p50 / p99 | (process started p50) | upstream end → downstream started p50 / p99 | (process started p50) | tick → report ended p50 / p99 | idle CPU (% of 1 core) | idle RSS / PSS MB (processes) |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    const idle = r.idle ? `${r.idle.cpuPercent.toFixed(1)} % over ${r.idle.seconds.toFixed(0)} s` : "–";
    const memory = r.idle ? `${r.idle.rssMb.toFixed(0)} / ${r.idle.pssMb.toFixed(0)} (${r.idle.processes})` : "–";
    const n = r.numbers;
    rows.push(`| ${r.label} | ${r.ticks}${r.error ? " ⚠" : ""} | ${pair(n.tickToStart)} | ${s(percentile(n.tickToProcess, 50))} | ${pair(n.upToDown)} | ${s(percentile(n.upToDownProcess, 50))} | ${pair(n.endToEnd)} | ${idle} | ${memory} |`);
  }
  return rows.join("\n");
}

/** ingest's own time (the pipeline run in the fruitshop variant), to read the chain numbers against. */
function ingestTable(results: Result[]): string {
  const rows = ["| system | ingest duration (function entered → returned) p50 / p99 |", "|---|---|"];
  for (const r of results) rows.push(`| ${r.label} | ${pair(r.ingestSeconds)} |`);
  return rows.join("\n");
}

function ratios(results: Result[]): string {
  const peers = results.filter((r) => PEER_IDS.has(r.id) && r.ticks > 0);
  const ours = results.filter((r) => r.id.startsWith("sluice") && r.ticks > 0);
  if (peers.length === 0 || ours.length === 0) return "(ratios need Sluice and at least one peer)";
  const rows = [`| Sluice ÷ best peer | ${COLUMNS.map(([name]) => name).join(" | ")} |`, `|---|${COLUMNS.map(() => "---").join("|")}|`];
  for (const r of ours) {
    const cells = COLUMNS.map(([, pick]) => {
      const best = peers.reduce((b, p) => (pick(p) < pick(b) ? p : b));
      return `${(pick(r) / pick(best)).toFixed(2)} (best: ${best.id} ${pick(best).toFixed(2)})`;
    });
    rows.push(`| ${r.label} | ${cells.join(" | ")} |`);
  }
  return rows.join("\n");
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadBefore = loadavg()[0]!.toFixed(2);
  execFileSync("bash", [resolve(import.meta.dirname, "peers/setup.sh")], { stdio: ["ignore", "inherit", "inherit"] });
  const root = mkdtempSync(join(tmpdir(), "sluice-bench-peers-"));
  log(`work folder ${root}; ${TICKS} ticks per system; variant ${VARIANT}`);
  const results: Result[] = [];
  for (const system of SYSTEMS.filter((sys) => !ONLY || ONLY.includes(sys.id))) {
    try {
      results.push(await measure(system, root));
    } catch (error) {
      log(`${system.id}: ${(error as Error).message}`);
      results.push({ id: system.id, label: system.id, config: system.config, ticks: 0, numbers: chainNumbers([]), ingestSeconds: [], idle: undefined, error: (error as Error).message });
    }
  }
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const load = `load average (1 min) ${loadBefore} at start, ${loadavg()[0]!.toFixed(2)} at end`;
  const ingest = VARIANT === "trivial" ? "" : `\n\n${ingestTable(results)}`;
  process.stdout.write(`\n${QUICK ? "--quick: " : ""}variant ${VARIANT}, ${TICKS} ticks per system, ${minutes} min wall time, ${load}\n\n${table(results)}${ingest}\n\n${ratios(results)}\n`);
  for (const r of results.filter((x) => x.error)) process.stdout.write(`\n⚠ ${r.label}: ${r.error}\n`);
  const json = parsed.json;
  if (json) writeFileSync(json, JSON.stringify({ quick: QUICK, variant: VARIANT, ticks: TICKS, minutes: Number(minutes), results }, null, 2));
  if (parsed.keep !== true) rmSync(root, { recursive: true, force: true });
  else log(`kept ${root}`);
}

await main();
