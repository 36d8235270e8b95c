/** `sluice run-pipeline <pipeline_name> [-f] [--job-ref REF] [--refresh]`: run the job that delivers a pipeline. */
import type { Command } from "commander";
import { SluiceError } from "../../core/index.js";
import type { TriggerView } from "../daemon/runtime-types.js";
import { printJson } from "../output.js";
import { EXIT_HELP, clientFor, finishFollow, followRun, runsTable, stdout, withHome, withWorkspace, withOutput, type CommonFlags, type Write } from "./runtime-client.js";

interface RunPipelineFlags extends CommonFlags {
  follow?: boolean;
  jobRef?: string;
  refresh?: boolean;
}

export function registerRunPipelineCommand(program: Command, write: Write = stdout): void {
  const command = program
    .command("run-pipeline")
    .description("Run the job that delivers a pipeline (selector pipeline_name:<name>)")
    .argument("<pipeline_name>", "dlt pipeline name")
    .option("-f, --follow", "stream the run's log until it ends; exit 1 when it did not complete")
    .option("--job-ref <ref>", "which job, when several deliver the same pipeline")
    .option("--refresh", "explicit refresh of the job and its cascade")
    .addHelpText("after", `\nExamples:\n  sluice run-pipeline jaffle_ingest -f\n  sluice run-pipeline usgs_ingest_pipeline --job-ref usgs_daily${EXIT_HELP}`);
  withOutput(withWorkspace(withHome(command))).action(async (pipeline: string, flags: RunPipelineFlags) => {
    const client = await clientFor(flags);
    const preview = await client.request<TriggerView>("POST", "/v1/trigger", { selectors: [`pipeline_name:${pipeline}`], dryRun: true });
    let refs = preview.selected.map((s) => s.key);
    if (flags.jobRef) refs = refs.filter((ref) => ref === flags.jobRef || ref.endsWith(`/${flags.jobRef}`) || ref.endsWith(`.${flags.jobRef}`));
    if (refs.length !== 1) {
      throw new SluiceError(refs.length === 0 ? "job_not_found" : "ambiguous_pipeline", refs.length === 0 ? `No deployed job delivers pipeline '${pipeline}'${flags.jobRef ? ` as ${flags.jobRef}` : ""}.` : `${refs.length} jobs deliver pipeline '${pipeline}'.`, {
        hint: refs.length === 0 ? "`sluice job 'pipeline_name:*' list` lists pipeline jobs." : `Pick one with --job-ref: ${refs.join(", ")}.`,
      });
    }
    // the same selector again, narrowed to the one job: the run records the trigger dlt picks for it
    const result = await client.request<TriggerView>("POST", "/v1/trigger", { selectors: [`pipeline_name:${pipeline}`], only: refs, refresh: flags.refresh === true });
    const run = result.runs[0];
    if (!run) throw new SluiceError("nothing_started", `No run of ${refs[0]} was started.`);
    if (!flags.follow) return flags.output === "json" ? printJson(result, write) : void write(runsTable(result.runs));
    write(`following run ${run.number} (${run.runId}) of ${run.job}\n`);
    finishFollow(await followRun(client, run.runId, write), write);
  });
}
