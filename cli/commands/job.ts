/** `sluice job list [<selector>…]`, `sluice job "<selector>" list`, `sluice job <name> info` (alias `jobs`). */
import type { Command } from "commander";
import { SluiceError } from "../../core/index.js";
import type { JobInfoView, JobView } from "../daemon/runtime-types.js";
import { formatTable, printJson } from "../output.js";
import { EXIT_HELP, clientFor, runsTable, stdout, withHome, withWorkspace, withOutput, type CommonFlags, type Write } from "./runtime-client.js";

const HELP = `
Forms:
  sluice jobs                        every deployed job (the same as \`sluice job list\`)
  sluice job list                    every deployed job
  sluice job list tag:ingest         jobs matched by selectors (triggers.md §9)
  sluice job "tag:ingest" list       the same, dlt's word order
  sluice job load_commits info       triggers (humanized), default trigger, next 5 fire
                                     times in the job's timezone, what it waits for, last runs${EXIT_HELP}`;

export function registerJobCommand(program: Command, write: Write = stdout): void {
  const command = program
    .command("job")
    .alias("jobs")
    .description("List deployed jobs or show one job")
    .argument("[words...]", "list [selectors…] | <selectors…> list | <name> info (none: list)")
    .addHelpText("after", HELP);
  withOutput(withWorkspace(withHome(command))).action(async (given: string[], flags: CommonFlags) => {
    const client = await clientFor(flags);
    const words = given.length > 0 ? given : ["list"];
    const last = words[words.length - 1];
    if (words[0] === "list" || last === "list") {
      const selectors = words[0] === "list" ? words.slice(1) : words.slice(0, -1);
      const query = selectors.map((s) => `selector=${encodeURIComponent(s)}`).join("&");
      const { jobs } = await client.request<{ jobs: JobView[] }>("GET", `/v1/jobs${query ? `?${query}` : ""}`);
      if (flags.output === "json") return printJson(jobs, write);
      return void write(jobsTable(jobs));
    }
    if (last === "info" && words.length === 2) {
      const { job } = await client.request<{ job: JobInfoView }>("GET", `/v1/jobs/${encodeURIComponent(words[0] ?? "")}`);
      if (flags.output === "json") return printJson(job, write);
      return void write(jobInfoText(job));
    }
    throw new SluiceError("bad_usage", `Unknown job command: job ${words.join(" ")}`, { hint: "Use `sluice job list [selector]`, `sluice job \"<selector>\" list` or `sluice job <name> info`." });
  });
}

function jobsTable(jobs: readonly JobView[]): string {
  return formatTable(
    ["JOB", "WORKSPACE", "TYPE", "DEFAULT TRIGGER", "NEXT FIRE", "LAST RUN"],
    jobs.map((j) => [j.name, j.workspace ?? "-", j.type, j.defaultTrigger ?? "-", j.nextFire ?? "-", j.lastRun ? `${j.lastRun.runId} ${j.lastRun.status}` : "-"]),
  );
}

function jobInfoText(job: JobInfoView): string {
  const lines = [
    `${job.name} (${job.jobRef})`,
    `  workspace:       ${job.workspace ?? "-"}`,
    `  type:            ${job.type}`,
    ...(job.description ? [`  description:     ${job.description}`] : []),
    `  timezone:        ${job.timezone}`,
    `  default trigger: ${job.defaultTrigger ?? "none"}`,
    "  triggers:",
    ...job.humanTriggers.map((t) => `    ${t.text.padEnd(36)} ${t.trigger}`),
    "  next fires:",
    ...(job.nextFires.length > 0 ? job.nextFires.map((f) => `    ${f.local}  (${f.utc})  ${f.trigger}`) : ["    none (no timed trigger)"]),
    ...(job.waiting.length > 0 ? ["  waiting:", ...job.waiting.map((w) => `    ${w.kind}: ${w.reason} (since ${w.since})`)] : []),
    "  last runs:",
  ];
  return `${lines.join("\n")}\n${job.runs.length > 0 ? runsTable(job.runs) : "    none\n"}`;
}
