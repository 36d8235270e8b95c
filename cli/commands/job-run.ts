/**
 * `sluice job-run [SELECTOR] [RUN#] list|info|logs [-f]|cancel` (alias `job-runs`): runs per job,
 * addressed by the job's own run numbers (cli-surface.md); the latest run when RUN# is omitted.
 */
import type { Command } from "commander";
import { SluiceError } from "../../core/index.js";
import { isSelector } from "../../schemas/index.js";
import type { DaemonClient } from "../daemon/client.js";
import type { RunView } from "../daemon/runtime-types.js";
import { printJson } from "../output.js";
import { printRunLog, resolveJobRun, type LogsFlags } from "./logs.js";
import { EXIT_HELP, clientFor, runsTable, stdout, withHome, withOutput, withWorkspace, type Write } from "./runtime-client.js";

const ACTIONS = ["list", "info", "logs", "cancel"] as const;
type Action = (typeof ACTIONS)[number];

const HELP = `
Forms:
  sluice job-run list                          runs of every job, newest first
  sluice job-run fruitshop_pipeline list       runs of one job (or of the jobs a selector matches)
  sluice job-run fruitshop_pipeline info       its latest run; add a number for another: … 2 info
  sluice job-run fruitshop_pipeline 1 logs -f  the log of run 1, followed until it ends
  sluice job-run fruitshop_notebook cancel     cancels its latest run (or … 3 cancel)

Run numbers count each job's runs from 1 (skipped and queued records too) and survive restarts.
Jobs are named as everywhere: name, section.name, jobs.…, or <workspace>/<job>.${EXIT_HELP}`;

interface Parsed {
  selector: string | undefined;
  number: string | undefined;
  action: Action;
}

function parseWords(words: readonly string[]): Parsed {
  const action = words[words.length - 1] as Action;
  if (!ACTIONS.includes(action)) {
    throw new SluiceError("bad_usage", `Unknown job-run command: job-run ${words.join(" ")}`, { hint: "End it with list, info, logs or cancel, e.g. `sluice job-run my_job 2 logs`." });
  }
  const rest = words.slice(0, -1);
  const numbered = rest.length > 0 && /^\d+$/.test(rest[rest.length - 1] ?? "");
  const number = numbered ? rest[rest.length - 1] : undefined;
  const selectors = numbered ? rest.slice(0, -1) : rest;
  if (selectors.length > 1) throw new SluiceError("bad_usage", `job-run takes one job or selector, got ${selectors.length}: ${selectors.join(" ")}.`);
  if (action !== "list" && selectors.length === 0) throw new SluiceError("bad_usage", `job-run ${action} needs a job.`, { hint: `e.g. \`sluice job-run my_job ${action}\`.` });
  if (action === "list" && number !== undefined) throw new SluiceError("bad_usage", "job-run list takes no run number.", { hint: "Use `job-run <job> <n> info` for one run." });
  return { selector: selectors[0], number, action };
}

export function registerJobRunCommand(program: Command, write: Write = stdout): void {
  const command = program
    .command("job-run")
    .alias("job-runs")
    .description("Runs of a job by their run numbers: list, info, logs [-f], cancel")
    .argument("<words...>", "[job|selector] [RUN#] list|info|logs|cancel")
    .option("-f, --follow", "with logs: stream new lines until the run ends; exit 1 when it did not complete")
    .option("-n, --limit <n>", "with list: how many", "50")
    .addHelpText("after", HELP);
  withOutput(withWorkspace(withHome(command))).action(async (words: string[], flags: LogsFlags & { limit: string }) => {
    const parsed = parseWords(words);
    const client = await clientFor(flags);
    if (parsed.action === "list") return listRuns(client, parsed.selector, flags, write);
    const run = await resolveJobRun(client, parsed.selector as string, parsed.number);
    if (parsed.action === "logs") return printRunLog(client, run, flags, write);
    if (parsed.action === "cancel") {
      const { run: after } = await client.request<{ run: RunView }>("POST", `/v1/runs/${encodeURIComponent(run.runId)}/cancel`);
      if (flags.output === "json") return printJson(after, write);
      return void write(`run ${after.number} (${after.runId}) of ${after.job}: ${after.status}${after.reason ? ` (${after.reason.split("\n")[0]})` : ""}\n`);
    }
    if (flags.output === "json") return printJson(run, write);
    write(runInfoText(run));
  });
}

async function listRuns(client: DaemonClient, selector: string | undefined, flags: LogsFlags & { limit: string }, write: Write): Promise<void> {
  // a job name also finds an archived job's runs; a selector matches active jobs
  const filter = selector === undefined ? [] : [`${isSelector(selector) ? "selector" : "job"}=${encodeURIComponent(selector)}`];
  const query = [`limit=${encodeURIComponent(flags.limit)}`, ...filter].join("&");
  const { runs } = await client.request<{ runs: RunView[] }>("GET", `/v1/runs?${query}`);
  if (flags.output === "json") return printJson(runs, write);
  write(runs.length > 0 ? runsTable(runs) : "no runs yet\n");
}

function runInfoText(run: RunView): string {
  const rows: Array<[string, string | null]> = [
    ["run", `${run.number} (${run.runId})`],
    ["job", `${run.job} (${run.key})`],
    ["status", run.status],
    ["reason", run.reason],
    ["trigger", run.trigger],
    ["profile", run.profile],
    ["refresh", String(run.refresh)],
    ["window", run.intervalStart && run.intervalEnd ? `${run.intervalStart} → ${run.intervalEnd}` : null],
    ["created", run.createdAt],
    ["started", run.startedAt],
    ["finished", run.finishedAt],
    ["exit code", run.exitCode === null ? null : String(run.exitCode)],
    ["cancel cause", run.cancelCause],
  ];
  return `${rows.map(([k, v]) => `${`${k}:`.padEnd(14)}${v ?? "-"}`).join("\n")}\n`;
}
