/** `sluice info`: workspaces, versions, the latest deployment (with a failure's cause), skipped repo folders, latest runs. */
import type { Command } from "commander";
import { repoProblems, type RepoProblem, type RepoStatus } from "../../reconciler/reconcile/index.js";
import type { InfoView } from "../daemon/runtime-types.js";
import { printJson } from "../output.js";
import { EXIT_HELP, clientFor, runsTable, stdout, withHome, withOutput, type CommonFlags, type Write } from "./runtime-client.js";

export function registerInfoCommand(program: Command, write: Write = stdout): void {
  const command = program
    .command("info")
    .description("Daemon, workspaces (version, status, latest deployment incl. failures) and latest runs")
    .addHelpText("after", `\nA failed deployment never replaces the running one: info shows both the active version and\nthe failure with its cause. Repo folders that are not deployed (no __deployment__.py, name clash)\nare listed with the reason (\`skippedFolders\` in --output json), and repos whose branch cannot be
read or whose discovery fails (\`repoProblems\`; both are retried).${EXIT_HELP}`);
  withOutput(withHome(command)).action(async (flags: CommonFlags) => {
    const client = await clientFor(flags);
    const info = await client.request<InfoView>("GET", "/v1/info");
    info.daemon.url = client.url;
    const { repos } = await client.request<{ repos: RepoStatus[] }>("GET", "/v1/repos");
    const skipped = repos.flatMap((r) => r.skipped.map((s) => ({ repo: r.repo.name, path: s.path, reason: s.reason })));
    const problems = repoProblems(repos);
    if (flags.output === "json") return printJson({ ...info, skippedFolders: skipped, repoProblems: problems }, write);
    write(infoText(info, skipped, problems));
  });
}

function infoText(info: InfoView, skipped: Array<{ repo: string; path: string; reason: string }>, problems: RepoProblem[]): string {
  const d = info.daemon;
  const out = [`sluice ${d.version} at ${d.url} (runs: ${d.executor}${d.proxyUrl ? `, interactive jobs: ${d.proxyUrl}/w/…` : ""}${d.dltVersions.length ? `, dlt ${d.dltVersions.join(", ")}` : ""})`, ""];
  if (info.workspaces.length === 0) out.push("no workspaces: `sluice repo add <name> --push` or `sluice deploy <dir>`");
  for (const w of info.workspaces) {
    out.push(`${w.name}: ${w.status}, version ${w.version ?? "-"}, ${w.jobs} job(s), commit ${w.commit?.slice(0, 12) ?? "-"} — ${w.source}`);
    const latest = w.latestDeployment;
    if (latest?.status === "failed") {
      out.push(`  latest deployment FAILED (commit ${latest.commit.slice(0, 12)}, ${latest.at}); version ${w.version ?? "-"} keeps running`);
      for (const line of (latest.cause?.message ?? "").split("\n")) out.push(`    ${line}`);
      if (latest.cause) out.push(`    (${latest.cause.code})`);
    } else if (latest) {
      out.push(`  latest deployment: version ${latest.version ?? "-"} applied ${latest.at}`);
    }
  }
  if (problems.length > 0) out.push("", "repo problems (deployments wait; the last good version keeps running):");
  for (const p of problems) out.push(`  ⚠ ${p.repo}: ${p.message}${p.since ? ` — since ${p.since}` : ""}`);
  if (skipped.length > 0) out.push("", "repo folders not deployed:");
  for (const s of skipped) out.push(`  ${s.repo}: ${s.path || "/"}: ${s.reason}`);
  out.push("", "latest runs:");
  return `${out.join("\n")}\n${info.latestRuns.length > 0 ? runsTable(info.latestRuns) : "  none\n"}`;
}
