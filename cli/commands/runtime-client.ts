/**
 * Shared by the runtime verbs (deploy, launch, serve, trigger, job, runs, logs, cancel, info,
 * run-pipeline): the daemon client from --home, the common flags and the text renderings.
 */
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { Option } from "commander";
import { SluiceError } from "../../core/index.js";
import type { DeploymentDiff } from "../../reconciler/diff/index.js";
import { DaemonClient } from "../daemon/client.js";
import { resolveHome } from "../daemon/home.js";
import type { LogLineView, RunView } from "../daemon/runtime-types.js";
import { ExitWith } from "../errors.js";
import { formatTable } from "../output.js";

export type Write = (text: string) => void;
export const stdout: Write = (text) => process.stdout.write(text);

export interface CommonFlags {
  home?: string;
  output?: "table" | "json";
  /** `-w <workspace>`: bare job names and selectors only see this workspace. */
  workspace?: string;
}

export const EXIT_HELP = "\nExit codes: 0 success, 1 user error (bad name, selector, failed run with -f), 2 daemon unreachable (start it with `sluice up`).";

export function withHome(command: Command): Command {
  return command.option("--home <dir>", "daemon home (default $SLUICE_HOME or ~/.sluice)");
}

/** `-w <workspace>`, for verbs that name jobs (not for the ones that take it as a deploy name). */
export function withWorkspace(command: Command): Command {
  return command.option("-w, --workspace <name>", "only jobs of this workspace (default: a bare name is looked up in the workspace folder you are in, then in every workspace)");
}

/**
 * The workspace folder the command runs in: the nearest folder (cwd or up to 4 parents) with a
 * `__deployment__.py` or a `.dlt/` folder; workspaces are named after their folders
 * (docs/workspaces.md), so its name is the default workspace for bare job names.
 */
export function workspaceFolderName(dir: string = process.cwd()): string | undefined {
  const folder = workspaceFolder(dir);
  return folder === undefined ? undefined : basename(folder);
}

/** The workspace folder `dir` is in (see `workspaceFolderName`), as an absolute path. */
export function workspaceFolder(dir: string = process.cwd()): string | undefined {
  let current = resolve(dir);
  for (let depth = 0; depth < 5; depth++) {
    if (existsSync(join(current, "__deployment__.py")) || existsSync(join(current, ".dlt"))) return current;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
  return undefined;
}

export function withOutput(command: Command): Command {
  return command.addOption(new Option("-o, --output <format>", "table or json").choices(["table", "json"]).default("table"));
}

export function clientFor(flags: CommonFlags): Promise<DaemonClient> {
  return DaemonClient.fromHome(resolveHome(flags.home), { workspace: flags.workspace, defaultWorkspace: workspaceFolderName() });
}

export function runsTable(runs: readonly RunView[]): string {
  return formatTable(
    ["RUN", "#", "JOB", "WORKSPACE", "STATUS", "TRIGGER", "WINDOW", "STARTED", "FINISHED", "WHERE", "REASON"],
    runs.map((r) => [
      r.runId,
      String(r.number),
      r.job,
      r.workspace ?? "-",
      r.status,
      r.trigger,
      r.intervalStart && r.intervalEnd ? `${r.intervalStart} → ${r.intervalEnd}` : "-",
      r.startedAt ?? "-",
      r.finishedAt ?? "-",
      r.where ?? "-",
      (r.reason ?? "").split("\n")[0] ?? "",
    ]),
  );
}

export function diffText(diff: DeploymentDiff | null): string {
  if (!diff) return "  (no diff)\n";
  const lines = [
    ...diff.added.map((c) => `  + ${c.jobRef}  added${c.revived ? " (revived)" : ""}`),
    ...diff.updated.map((c) => `  ~ ${c.jobRef}  updated`),
    ...diff.archived.map((c) => `  - ${c.jobRef}  archived`),
  ];
  const unchanged = diff.unchanged.length > 0 ? [`  = ${diff.unchanged.length} unchanged`] : [];
  return lines.length + unchanged.length === 0 ? "  (no jobs)\n" : `${[...lines, ...unchanged].join("\n")}\n`;
}

export function logLineText(line: LogLineView): string {
  return line.stream === "system" ? `[sluice] ${line.text}\n` : `${line.text}\n`;
}

/**
 * Streams a run's log until it ends; returns the final run. Exit code 1 afterwards when the
 * run did not complete (the caller throws ExitWith).
 */
export async function followRun(client: DaemonClient, runId: string, write: Write): Promise<RunView> {
  let final: RunView | undefined;
  await client.stream(`/v1/runs/${encodeURIComponent(runId)}/logs?follow=1`, (value) => {
    const item = value as { line?: LogLineView; end?: boolean; run?: RunView };
    if (item.line) write(logLineText(item.line));
    if (item.end && item.run) final = item.run;
  });
  if (!final) final = (await client.request<{ run: RunView }>("GET", `/v1/runs/${encodeURIComponent(runId)}`)).run;
  return final;
}

export function finishFollow(run: RunView, write: Write): void {
  write(`run ${run.number} (${run.runId}) of ${run.job} ${run.status}${run.reason ? `: ${run.reason.split("\n")[0]}` : ""}\n`);
  if (run.status !== "completed") throw new ExitWith(1);
}

export function requireOne<T>(items: readonly T[], what: string, hint: string): T {
  if (items.length !== 1) throw new SluiceError("ambiguous", `${what} (${items.length} matched).`, { hint });
  return items[0] as T;
}
