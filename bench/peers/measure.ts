/**
 * What bench/peers.ts measures, from the outside: the control plane's processes (a process tree
 * read from /proc) and the chains the jobs recorded (bench/peers/stamp.py rows).
 */
import { readdirSync, readFileSync } from "node:fs";

const CLK_TCK = 100; // Linux USER_HZ on every supported architecture

/** One job's row written by stamp.py (Unix seconds). */
export interface Stamp {
  job: "ingest" | "transform" | "report";
  start: number;
  end: number;
  proc: number;
}

/** One tick's chain: the tick instant and its three jobs. */
export interface Chain {
  tick: number;
  ingest: Stamp;
  transform: Stamp;
  report: Stamp;
}

/** The stamps in a Sluice run log (`<home>/logs/<run>.jsonl`): its lines are JSON strings, so their quotes come escaped. */
export function runLogStamps(file: string): Stamp[] {
  return parseStamps(readFileSync(file, "utf8").replaceAll('\\"', '"'));
}

/** Rows of `text` (stamps.jsonl lines, or log lines) that carry a stamp. */
export function parseStamps(text: string): Stamp[] {
  const rows: Stamp[] = [];
  for (const match of text.matchAll(/\{[^{}]*"job": "(?:ingest|transform|report)"[^{}]*\}/g)) {
    rows.push(JSON.parse(match[0]) as Stamp);
  }
  return rows;
}

/**
 * Chains whose cron tick is at or after `fromTick` (Unix s): each `ingest` opens the chain of the
 * minute it started in; a follow-up belongs to the latest chain that started before it.
 */
export function assembleChains(stamps: Stamp[], fromTick: number): Chain[] {
  const sorted = [...stamps].sort((a, b) => a.start - b.start);
  const open: Array<Partial<Chain> & { tick: number }> = [];
  for (const row of sorted) {
    if (row.job === "ingest") open.push({ tick: Math.floor(row.start / 60) * 60, ingest: row });
    else if (open.length > 0) open[open.length - 1]![row.job] ??= row;
  }
  return open.filter((c): c is Chain => c.tick >= fromTick && !!c.ingest && !!c.transform && !!c.report);
}

export interface ChainNumbers {
  tickToStart: number[];
  tickToProcess: number[];
  upToDown: number[];
  /** Upstream function ended → downstream process started (the rest is the downstream's start-up). */
  upToDownProcess: number[];
  endToEnd: number[];
}

export function chainNumbers(chains: Chain[]): ChainNumbers {
  return {
    tickToStart: chains.map((c) => c.ingest.start - c.tick),
    tickToProcess: chains.map((c) => c.ingest.proc - c.tick),
    upToDown: chains.flatMap((c) => [c.transform.start - c.ingest.end, c.report.start - c.transform.end]),
    upToDownProcess: chains.flatMap((c) => [c.transform.proc - c.ingest.end, c.report.proc - c.transform.end]),
    endToEnd: chains.map((c) => c.report.end - c.tick),
  };
}

/** Nearest-rank percentile (p in 0..100) of `values`; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface ProcSample {
  ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  cpu: number;
  rssKb: number;
}

function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpu = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    const rssKb = (Number(fields[21]) * 4096) / 1024;
    return { ppid: Number(fields[1]), cpu, rssKb };
  } catch {
    return undefined; // gone between listing and reading
  }
}

function pssKb(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Every process that descends from (or is) one of `roots`, with its sample. */
export function processTree(roots: number[]): Map<number, ProcSample> {
  const all = new Map<number, ProcSample>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const sample = readProc(Number(name));
    if (sample) all.set(Number(name), sample);
  }
  const tree = new Map<number, ProcSample>();
  const wanted = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, sample] of all) {
      if (!tree.has(pid) && (wanted.has(pid) || wanted.has(sample.ppid))) {
        tree.set(pid, sample);
        wanted.add(pid);
        grew = true;
      }
    }
  }
  return tree;
}

/** CPU and memory of a process tree over a window. */
export interface IdleUse {
  seconds: number;
  /** Percent of one core. */
  cpuPercent: number;
  rssMb: number;
  pssMb: number;
  processes: number;
}

/**
 * Samples the tree of `roots` every second until `untilMs` (epoch ms). CPU is counted once per
 * process: each one's growth over the window; a process that ended is counted through its parent's
 * children time (cutime), which receives its whole time when it is reaped.
 */
export async function sampleIdle(roots: number[], untilMs: number): Promise<IdleUse> {
  const startedAt = Date.now();
  const first = processTree(roots);
  const last = new Map(first);
  const rss: number[] = [];
  const pss: number[] = [];
  const ended = new Set<number>();
  let processes = first.size;
  while (Date.now() < untilMs) {
    await new Promise((done) => setTimeout(done, Math.min(1000, Math.max(0, untilMs - Date.now()))));
    const now = processTree(roots);
    for (const [pid, sample] of now) last.set(pid, sample);
    for (const pid of last.keys()) if (!now.has(pid)) ended.add(pid);
    rss.push([...now.values()].reduce((sum, s) => sum + s.rssKb, 0));
    pss.push([...now.keys()].reduce((sum, pid) => sum + pssKb(pid), 0));
    processes = Math.max(processes, now.size);
  }
  let ticks = 0;
  for (const [pid, sample] of last) {
    // an ended process's whole time moved into its parent's cutime: count only what it had before
    ticks += ended.has(pid) ? -(first.get(pid)?.cpu ?? 0) : sample.cpu - (first.get(pid)?.cpu ?? 0);
  }
  const seconds = (Date.now() - startedAt) / 1000;
  const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN);
  return { seconds, cpuPercent: (Math.max(0, ticks) / CLK_TCK / seconds) * 100, rssMb: mean(rss) / 1024, pssMb: mean(pss) / 1024, processes };
}

/** Window totals of several `sampleIdle` results (CPU weighted by time, memory averaged). */
export function combineIdle(parts: IdleUse[]): IdleUse | undefined {
  if (parts.length === 0) return undefined;
  const seconds = parts.reduce((sum, p) => sum + p.seconds, 0);
  const weigh = (pick: (p: IdleUse) => number) => parts.reduce((sum, p) => sum + pick(p) * p.seconds, 0) / seconds;
  return { seconds, cpuPercent: weigh((p) => p.cpuPercent), rssMb: weigh((p) => p.rssMb), pssMb: weigh((p) => p.pssMb), processes: Math.max(...parts.map((p) => p.processes)) };
}
