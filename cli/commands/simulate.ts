/**
 * `sluice simulate <workspace-dir> --from <iso> --to <iso> …`: what the scheduler would do
 * over a time range, on a virtual clock with simulated runs. `--output json` prints ONE JSON
 * array of decision records (a stable contract, see docs/scheduling.md).
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { Option } from "commander";
import { SluiceError } from "../../core/index.js";
import { simulateSchedule, type DecisionRecord, type ScheduledTrigger, type SimulatedFailure } from "../../runner/scheduler/index.js";
import { generateManifest } from "../../reconciler/index.js";
import { parsePeriodSeconds } from "../../schemas/index.js";
import { formatTable, printJson } from "../output.js";

interface SimulateFlags {
  from: string;
  to: string;
  runDuration: string;
  fail: string[];
  trigger: string[];
  output: "json" | "table";
  manifest?: string;
  executor: "docker" | "local";
}

export function registerSimulateCommand(program: Command): void {
  program
    .command("simulate")
    .description("Show what the scheduler would run over a time range (virtual clock, simulated runs)")
    .argument("[workspace-dir]", "dlt workspace whose manifest is deployed at --from", ".")
    .requiredOption("--from <iso>", "deploy instant, ISO-8601 (e.g. 2026-04-14T09:00:00Z)")
    .requiredOption("--to <iso>", "end of the simulated range, ISO-8601")
    .option("--run-duration <period>", "how long every run takes (30s, 5m, 1h)", "30s")
    .option("--fail <job@iso>", "the first run of <job> starting at or after <iso> fails (repeatable)", collect, [])
    .option("--trigger <spec>", '"<iso> <selector> [refresh]": a manual trigger at <iso> (repeatable)', collect, [])
    .option("--manifest <file.json>", "use this manifest JSON (as dlt's worker prints it) instead of generating one")
    .addOption(new Option("--executor <kind>", "where dlt generates the manifest").choices(["docker", "local"]).default("docker"))
    .addOption(new Option("--output <format>", "output format").choices(["table", "json"]).default("table"))
    .action(async (workspaceDir: string, flags: SimulateFlags) => {
      const fromMs = parseInstant(flags.from, "--from");
      const toMs = parseInstant(flags.to, "--to");
      const { manifest, jobHashes } = flags.manifest
        ? await readManifestFile(flags.manifest)
        : await generateFromWorkspace(workspaceDir, flags.executor);
      const records = await simulateSchedule({
        manifest,
        ...(jobHashes ? { jobHashes } : {}),
        fromMs,
        toMs,
        runDurationMs: parseDuration(flags.runDuration),
        failures: flags.fail.map(parseFailure),
        triggers: flags.trigger.map(parseTrigger),
      });
      if (flags.output === "json") printJson(records);
      else process.stdout.write(renderTable(records));
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseInstant(text: string, flag: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms)) {
    throw new SluiceError("bad_instant", `${flag} '${text}' is not an ISO-8601 instant`, {
      hint: `write it like ${flag} 2026-04-14T09:00:00Z (a zone-less value is read as UTC)`,
    });
  }
  return /[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? ms : Date.parse(`${text}Z`);
}

function parseDuration(text: string): number {
  let seconds: number;
  try {
    seconds = parsePeriodSeconds(text);
  } catch {
    seconds = Number.NaN;
  }
  if (!(seconds >= 0)) {
    throw new SluiceError("bad_duration", `--run-duration '${text}' is not a duration`, { hint: "use 30s, 5m, 1.5h or a number of seconds" });
  }
  return Math.round(seconds * 1000);
}

function parseFailure(text: string): SimulatedFailure {
  const at = text.lastIndexOf("@");
  if (at <= 0) {
    throw new SluiceError("bad_fail", `--fail '${text}' must be <job>@<iso>`, { hint: "e.g. --fail usgs_daily@2026-04-14T10:03:00Z" });
  }
  return { job: text.slice(0, at), atMs: parseInstant(text.slice(at + 1), "--fail") };
}

function parseTrigger(text: string): ScheduledTrigger {
  const parts = text.trim().split(/\s+/);
  const [instant, ...rest] = parts;
  const refresh = rest[rest.length - 1] === "refresh";
  const selectors = refresh ? rest.slice(0, -1) : rest;
  if (!instant || selectors.length === 0) {
    throw new SluiceError("bad_trigger", `--trigger '${text}' must be "<iso> <selector> [refresh]"`, {
      hint: 'e.g. --trigger "2026-04-14T10:00:00Z tag:backfill refresh"',
    });
  }
  // a selector may contain spaces (schedule:*/5 * * * *): everything between instant and flag
  return { atMs: parseInstant(instant, "--trigger"), selectors: [selectors.join(" ")], refresh };
}

async function readManifestFile(file: string): Promise<{ manifest: { jobs: never[] }; jobHashes?: Record<string, string> }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new SluiceError("bad_manifest_file", `cannot read manifest ${file}: ${(error as Error).message}`, {
      hint: "pass the JSON printed by dlt's manifest worker, or a manifest object with a 'jobs' array",
    });
  }
  const object = (parsed ?? {}) as Record<string, unknown>;
  const manifest = (typeof object.manifest === "object" && object.manifest !== null ? object.manifest : object) as Record<string, unknown>;
  if (!Array.isArray(manifest.jobs)) {
    throw new SluiceError("bad_manifest_file", `${file} holds no manifest: no 'jobs' array found`, {
      hint: "pass the JSON printed by dlt's manifest worker, or a manifest object with a 'jobs' array",
    });
  }
  const hashes = object.job_hashes ?? object.jobHashes;
  return {
    manifest: manifest as { jobs: never[] },
    ...(hashes && typeof hashes === "object" ? { jobHashes: hashes as Record<string, string> } : {}),
  };
}

/** Runs real dlt through the reconciler's manifest generation (cli may import reconciler/). */
async function generateFromWorkspace(
  workspaceDir: string,
  executor: "docker" | "local",
): Promise<{ manifest: { jobs: never[] }; jobHashes?: Record<string, string> }> {
  const generated = await generateManifest({ workspaceDir, executor });
  return { manifest: generated.manifest as unknown as { jobs: never[] }, jobHashes: generated.jobHashes };
}

function renderTable(records: readonly DecisionRecord[]): string {
  if (records.length === 0) return "no runs in this range\n";
  const short = (iso: string | null) => (iso === null ? "" : iso.replace(".000Z", "Z"));
  return formatTable(
    ["AT", "JOB", "EVENT", "TRIGGER", "WINDOW", "REFRESH", "REASON"],
    records.map((r) => [
      short(r.at),
      r.job,
      r.event,
      r.trigger,
      r.interval_start === null ? "" : `[${short(r.interval_start)}, ${short(r.interval_end)})`,
      r.refresh ? "yes" : "",
      r.reason ?? "",
    ]),
  );
}
