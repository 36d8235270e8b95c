/**
 * Time from a schedule changed in code to the scheduler using it, per system (issue 14): Sluice
 * (`sluice deploy`, and `git push` to a repo Sluice hosts; local executor: the Docker executor has
 * the same reconciler and scheduler), Airflow 3, Dagster, Prefect 3, each started by bench/peers'
 * start functions. Numbers only, nothing asserted.
 *
 * Per repetition: write a new cron `M * * * *` into the file that holds the schedule (M a minute
 * ahead, never the previous one), do what that system's user does next (bench/peers/schedule-subjects.ts),
 * and poll the system's own state every 100 ms until it shows the new schedule and, where the system
 * exposes one, the new cron's next fire time. The last repetition also waits for the first run fired
 * under the new schedule. Runs for a tick after the edit at another minute count as "old-schedule runs".
 *
 * Run: npx tsx bench/peers/schedule-change.ts [--repeat N] [--only sluice-deploy,sluice-push,sluice-docker-push,airflow,dagster,prefect] [--json FILE] [--keep]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { percentile } from "./measure.js";
import { sleep } from "./process.js";
import { SUBJECTS, writeCron, type Session, type Subject, type Target } from "./schedule-subjects.js";

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
if (args.includes("--help")) {
  process.stdout.write("npx tsx bench/peers/schedule-change.ts [--repeat N (3)] [--only id,…] [--json FILE] [--keep]\n");
  process.stdout.write(`ids: ${SUBJECTS.map((s) => s.id).join(", ")}\n`);
  process.exit(0);
}
const REPEAT = Number(flag("--repeat") ?? 3);
const ONLY = flag("--only")?.split(",");
const POLL_MS = 100;
const OBSERVE_TIMEOUT_MS = 180_000;
const SETTLE_MS = 10_000;

/** One edit: seconds from the file written to each observation (null: not exposed or not seen). */
interface Rep {
  cron: string;
  apply: number | null;
  schedule: number | null;
  next: number | null;
  /** Runs of `ingest` started after the edit at another time than the new cron's (the old schedule's). */
  oldRuns: number;
  /** Last repetition: the first run after the edit, seconds after the new cron's fire time. */
  firstRun?: number | null;
}

interface Result {
  id: string;
  label: string;
  reps: Rep[];
  error?: string;
}

const log = (line: string) => process.stderr.write(`[schedule ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** The next instant after `fromMs` at minute `minute`, second 0 (UTC; a `M * * * *` cron fires every hour). */
function nextAtMinute(minute: number, fromMs: number): number {
  const at = new Date(fromMs);
  at.setUTCSeconds(0, 0);
  at.setUTCMinutes(minute);
  while (at.getTime() <= fromMs) at.setUTCHours(at.getUTCHours() + 1);
  return at.getTime();
}

/** A minute at least `leadMs` ahead, other than `previous`'s. */
function pickMinute(leadMs: number, previous: string): number {
  let minute = new Date(Math.ceil((Date.now() + leadMs) / 60_000) * 60_000).getUTCMinutes();
  if (previous === `${minute} * * * *`) minute = (minute + 1) % 60;
  return minute;
}

/** Polls `session.probe` until the new schedule (and its next fire, if exposed) shows; seconds from the write. */
async function observe(session: Session, target: Target): Promise<{ schedule: number | null; next: number | null }> {
  let schedule: number | null = null;
  let next: number | null = null;
  let exposesNext = true;
  const deadline = target.writtenAt + OBSERVE_TIMEOUT_MS;
  while (Date.now() < deadline && (schedule === null || (exposesNext && next === null))) {
    try {
      const seen = await session.probe(target);
      const now = (Date.now() - target.writtenAt) / 1000;
      if (seen.schedule && schedule === null) schedule = now;
      if (seen.next === null) exposesNext = false;
      else if (seen.next && next === null) next = now;
    } catch {
      // the system is between states (e.g. a restarting process): poll again
    }
    await sleep(POLL_MS);
  }
  return { schedule, next };
}

async function waitFirstRun(session: Session, target: Target): Promise<number | null> {
  const deadline = target.nextMs + 90_000; // Dagster ticks ~7 s after the minute
  while (Date.now() < deadline) {
    const fires = (await session.fires(target.writtenAt).catch(() => [])).filter((ms) => ms >= target.nextMs - 2000);
    if (fires.length > 0) return (Math.min(...fires) - target.nextMs) / 1000;
    await sleep(500);
  }
  return null;
}

/**
 * How far ahead the new cron's fire is put: past the slowest observation, so that fire is still the
 * next one when it shows; from `* * * * *` (whose next fire is within 60 s) a minute more, so the new
 * next fire cannot be the old schedule's. Dagster exposes no next fire: only its 60 s reload counts.
 */
function leadMs(subject: Subject, previous: string): number {
  if (subject.id === "dagster") return 75_000;
  return previous === "* * * * *" ? 100_000 : 30_000;
}

/**
 * Runs for a tick after the edit other than the new cron's. A run's tick: the minute it started in,
 * or the next one when it started up to 2 s before it (Prefect enters a flow a few ms early); runs
 * of ticks before the edit are not counted.
 */
function oldScheduleRuns(fires: number[], target: Target): number {
  const ticks = fires.map((ms) => Math.floor((ms + 2000) / 60_000) * 60_000);
  return ticks.filter((tick) => tick > target.writtenAt && tick !== target.nextMs).length;
}

async function oneEdit(subject: Subject, session: Session, previous: string, last: boolean): Promise<Rep> {
  const lead = leadMs(subject, previous);
  const minute = pickMinute(lead, previous);
  const cron = `${minute} * * * *`;
  session.beforeWrite?.();
  const writtenAt = writeCron(session, cron);
  const target: Target = { cron, nextMs: nextAtMinute(minute, writtenAt), writtenAt };
  let apply: number | null = null;
  const applying = session.apply().then(() => void (apply = (Date.now() - writtenAt) / 1000));
  const seen = await observe(session, target);
  await applying;
  const rep: Rep = { cron, apply, ...seen, oldRuns: 0 };
  if (last) rep.firstRun = await waitFirstRun(session, target);
  rep.oldRuns = oldScheduleRuns(await session.fires(writtenAt).catch(() => []), target);
  log(`${subject.id}: ${previous} → ${cron}: apply ${apply ?? "–"} s, schedule ${seen.schedule ?? "–"} s, next fire ${seen.next ?? "–"} s, old-schedule runs ${rep.oldRuns}${last ? `, first run ${rep.firstRun ?? "–"} s after ${new Date(target.nextMs).toISOString().slice(11, 19)}` : ""}`);
  return rep;
}

async function measure(subject: Subject, root: string): Promise<Result> {
  const label = subject.label();
  log(`${label}: starting`);
  const session = await subject.start(root);
  const reps: Rep[] = [];
  try {
    let previous = "* * * * *";
    for (let k = 1; k <= REPEAT; k++) {
      const rep = await oneEdit(subject, session, previous, k === REPEAT);
      reps.push(rep);
      previous = rep.cron;
      // let the change settle before the next edit (a Dagster code server seen starting loads the file a few seconds later)
      if (k < REPEAT) await sleep(SETTLE_MS);
    }
  } finally {
    await session.stop();
  }
  return { id: subject.id, label, reps };
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? "–" : `${v.toFixed(2)} s`);

function stat(values: Array<number | null>): string {
  if (values.length === 0) return "–";
  if (values.every((v) => v === null)) return "not exposed";
  const seen = values.filter((v): v is number => v !== null);
  const missed = values.length - seen.length;
  return `${fmt(percentile(seen, 50))} / ${fmt(Math.max(...seen))}${missed ? ` (${missed} not seen)` : ""}`;
}

function table(results: Result[]): string {
  const rows = [
    "| system | edits | apply step done p50 / max | edit → new schedule in the system's state p50 / max | edit → new next fire time in its state p50 / max | old-schedule runs after the edit | last edit: first run, s after the new fire time |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    const last = r.reps.at(-1);
    const old = r.reps.reduce((sum, rep) => sum + rep.oldRuns, 0);
    rows.push(`| ${r.label} | ${r.reps.length}${r.error ? " ⚠" : ""} | ${stat(r.reps.map((x) => x.apply))} | ${stat(r.reps.map((x) => x.schedule))} | ${stat(r.reps.map((x) => x.next))} | ${old} | ${fmt(last?.firstRun)} |`);
  }
  return rows.join("\n");
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadBefore = loadavg().map((v) => v.toFixed(2)).join(" ");
  const root = mkdtempSync(join(tmpdir(), "sluice-bench-schedule-"));
  log(`work folder ${root}; ${REPEAT} edits per system`);
  const results: Result[] = [];
  for (const subject of SUBJECTS.filter((s) => !ONLY || ONLY.includes(s.id))) {
    try {
      results.push(await measure(subject, root));
    } catch (error) {
      log(`${subject.id}: ${(error as Error).message}`);
      results.push({ id: subject.id, label: subject.id, reps: [], error: (error as Error).message });
    }
  }
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const load = `load average ${loadBefore} at start, ${loadavg().map((v) => v.toFixed(2)).join(" ")} at end`;
  process.stdout.write(`\n${new Date(started).toISOString().slice(0, 16)} UTC, ${REPEAT} edits per system, ${minutes} min wall time, ${load}\n\n${table(results)}\n`);
  for (const r of results.filter((x) => x.error)) process.stdout.write(`\n⚠ ${r.label}: ${r.error}\n`);
  const json = flag("--json");
  if (json) writeFileSync(json, JSON.stringify({ repeat: REPEAT, minutes: Number(minutes), load, results }, null, 2));
  if (!args.includes("--keep")) rmSync(root, { recursive: true, force: true });
  else log(`kept ${root}`);
}

await main();
