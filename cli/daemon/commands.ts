/**
 * `sluice up`, `sluice repo add|list|remove`, `sluice deployments`, `sluice rollback`.
 * Register with `registerDaemonCommands(program)` from cli/main.ts.
 */
import type { Command } from "commander";
import { SluiceError } from "../../core/index.js";
import type { DeploymentRecord } from "../../reconciler/history/index.js";
import { repoProblems, type AddRepoResult, type RemoveRepoResult, type RepoStatus } from "../../reconciler/reconcile/index.js";
import { formatTable, printJson } from "../output.js";
import { DaemonClient } from "./client.js";
import type { RuntimeFactory, StartDaemonInput } from "./daemon.js";
import { startDaemon } from "./daemon.js";
import { resolveHome } from "./home.js";
import { AD_HOC_SHA_PREFIX } from "../compose/local-deploy.js";

export interface DaemonCommandHooks {
  /** Supplies the scheduler target (and other ports) for `sluice up`; in-memory when absent. */
  ports?: (home: string) => Promise<StartDaemonInput["ports"]> | StartDaemonInput["ports"];
  /** Scheduler, executors and proxy (cli/compose). */
  runtime?: RuntimeFactory;
  write?: (text: string) => void;
}

/** What every daemon command needs: where to write, and a client of the daemon in a home. */
interface CommandContext {
  hooks: DaemonCommandHooks;
  write: (text: string) => void;
  client: (home?: string) => Promise<DaemonClient>;
}

export function registerDaemonCommands(program: Command, hooks: DaemonCommandHooks = {}): void {
  const ctx: CommandContext = {
    hooks,
    write: hooks.write ?? ((text: string) => process.stdout.write(text)),
    client: (home?: string) => DaemonClient.fromHome(resolveHome(home)),
  };
  registerUpCommand(program, ctx);
  registerRepoCommands(program, ctx);
  registerDeploymentsCommand(program, ctx);
  registerRollbackCommand(program, ctx);
}

function registerUpCommand(program: Command, { hooks, write }: CommandContext): void {
  program
    .command("up")
    .description("Start the daemon: watch repos, reconcile pushes, serve the API on 127.0.0.1")
    .option("--home <dir>", "state folder (default $SLUICE_HOME or ~/.sluice)")
    .option("--config <file>", "sluice.yaml (default <home>/sluice.yaml when present)")
    .action(async (opts: { home?: string; config?: string }) => {
      const home = resolveHome(opts.home);
      const daemon = await startDaemon({ home, configFile: opts.config, ports: await hooks.ports?.(home), ...(hooks.runtime ? { runtime: hooks.runtime } : {}) });
      const proxy = daemon.runtime?.proxyUrl?.();
      write(`sluice daemon listening on ${daemon.url}\nAPI token: ${daemon.layout.tokenFile}\n${proxy ? `interactive jobs: ${proxy}/w/<workspace>/<job>/\n` : ""}`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await daemon.stop();
    });
}

function registerRepoCommands(program: Command, { write, client }: CommandContext): void {
  const repo = program.command("repo").description("Repositories the daemon deploys workspaces from");
  repo
    .command("add <name>")
    .description("Watch a git repo (--url) or host one to push to (--push); every folder with __deployment__.py is a workspace")
    .option("--url <git-url>", "remote URL or local path to watch")
    .option("--push", "create a bare repo that Sluice hosts; `git push sluice main` deploys")
    .option("--branch <branch>", "deploy branch", "main")
    .option("--path <dir>", "pin the repo to this one workspace folder, deployed as <name> (default: discover every workspace folder at each commit)")
    .option("--github <owner/repo>", "report check runs, statuses and PR previews to this GitHub repository (implied by a github.com --url; docs/github.md)")
    .option("--home <dir>")
    .addHelpText(
      "after",
      "\nWithout --path, each folder holding __deployment__.py (the root, or up to 3 levels down) is a\nworkspace named after its folder (root: <name>; a/b → a-b). Folders that are dlt workspaces\nwithout __deployment__.py are listed as skipped by `sluice repo list` (use `sluice launch`/`serve`).",
    )
    .action(async (name: string, opts: { url?: string; push?: boolean; branch: string; path?: string; github?: string; home?: string }) => {
      const result = await (await client(opts.home)).request<AddRepoResult & { github?: string }>("POST", "/v1/repos", {
        name,
        url: opts.url,
        push: opts.push === true,
        branch: opts.branch,
        path: opts.path,
        github: opts.github,
      });
      const r = result.repo;
      const what = r.discover ? "workspaces: every folder with __deployment__.py, see `sluice repo list`" : `workspace ${r.name} from ${r.path ? `folder ${r.path}` : "the repo root"}`;
      write(`added ${r.name} (${r.kind}, branch ${r.branch}; ${what})\n`);
      if (result.github) write(`reporting to GitHub repository ${result.github} (check runs, PR previews; docs/github.md)\n`);
      if (result.remote) write(`\nAdd the remote and push to deploy:\n  git remote add sluice ${result.remote}\n  git push sluice ${r.branch}\n`);
    });
  repo
    .command("list")
    .description("Repos, the workspaces each feeds, and the folders skipped with the reason")
    .option("--output <format>", "table or json", "table")
    .option("--home <dir>")
    .action(async (opts: { output: string; home?: string }) => {
      const { repos } = await (await client(opts.home)).request<{ repos: RepoStatus[] }>("GET", "/v1/repos");
      if (opts.output === "json") return printJson(repos, write);
      write(repoListText(repos));
    });
  repo
    .command("remove <name>")
    .description("Stop deploying the repo: archive the jobs of all its workspaces and stop their interactive services (history and runs are kept)")
    .option("--home <dir>")
    .action(async (name: string, opts: { home?: string }) => {
      const { archived, workspaces } = await (await client(opts.home)).request<RemoveRepoResult>("DELETE", `/v1/repos/${encodeURIComponent(name)}`);
      write(`removed ${name}${workspaces.length ? ` (workspaces: ${workspaces.join(", ")})` : ""}; archived ${archived.length} job(s)\n`);
    });
}

function registerDeploymentsCommand(program: Command, { write, client }: CommandContext): void {
  program
    .command("deployments <workspace>")
    .description("Deployment history of a workspace, newest first")
    .option("--output <format>", "table or json", "table")
    .option("--home <dir>")
    .action(async (workspace: string, opts: { output: string; home?: string }) => {
      const { deployments } = await (await client(opts.home)).request<{ deployments: DeploymentRecord[] }>(
        "GET",
        `/v1/workspaces/${encodeURIComponent(workspace)}/deployments`,
      );
      // ad-hoc deploys (`launch`/`serve file.py`) are pushes of one script's jobs: shown as such
      const shown = deployments.map((d) => (d.kind === "push" && d.commit.sha.startsWith(AD_HOC_SHA_PREFIX) ? { ...d, kind: "ad-hoc" } : d));
      if (opts.output === "json") return printJson(shown, write);
      write(
        formatTable(
          ["VERSION", "STATUS", "KIND", "COMMIT", "AUTHOR", "CHANGES", "FINISHED"],
          shown.map((d) => [
            d.version == null ? "-" : String(d.version),
            d.status,
            d.kind,
            d.commit.sha.slice(0, 12),
            d.commit.authorName ?? "",
            d.diff ? `+${d.diff.added.length} ~${d.diff.updated.length} -${d.diff.archived.length}` : (d.cause?.message.split("\n")[0] ?? ""),
            d.finishedAt,
          ]),
        ),
      );
    });
}

function registerRollbackCommand(program: Command, { write, client }: CommandContext): void {
  program
    .command("rollback <workspace>")
    .description("Re-apply an earlier version; automatic deploys resume at the next push")
    .option("--to <version>", "version to go back to (default: the last one that differs from the active one)")
    .option("--home <dir>")
    .action(async (workspace: string, opts: { to?: string; home?: string }) => {
      const to = opts.to === undefined ? undefined : Number(opts.to);
      if (to !== undefined && (!Number.isInteger(to) || to < 0)) {
        throw new SluiceError("bad_request", `--to must be a version number, got '${opts.to}'.`, { hint: "`sluice deployments <workspace>` lists the versions." });
      }
      const { deployment } = await (await client(opts.home)).request<{ deployment: DeploymentRecord }>(
        "POST",
        `/v1/workspaces/${encodeURIComponent(workspace)}/rollback`,
        to === undefined ? {} : { to },
      );
      write(`${workspace}: rolled back to version ${deployment.rollbackToVersion} (commit ${deployment.commit.sha.slice(0, 12)}), now version ${deployment.version}\n`);
    });
}

/** `repo list`: one row per workspace (a discovering repo without any yet gets one row), then the skipped folders. */
export function repoListText(repos: RepoStatus[]): string {
  const rows: string[][] = [];
  for (const r of repos) {
    const source = r.repo.kind === "hosted" ? "hosted" : r.repo.url;
    if (r.workspaces.length === 0) {
      const status = r.scanError ? "discovery failed" : r.scannedCommit ? "no workspace" : "waiting for a commit";
      rows.push([r.repo.name, "-", "-", source, r.repo.branch, status, "-", r.scannedCommit?.slice(0, 12) ?? "-"]);
    }
    for (const w of r.workspaces) {
      const version = w.active?.version == null ? "-" : String(w.active.version);
      rows.push([r.repo.name, w.name, w.path || "/", source, r.repo.branch, w.state?.status ?? "idle", version, w.active?.commit.slice(0, 12) ?? "-"]);
    }
  }
  const out = [formatTable(["REPO", "WORKSPACE", "FOLDER", "SOURCE", "BRANCH", "STATUS", "VERSION", "COMMIT"], rows)];
  const skipped = repos.flatMap((r) => r.skipped.map((s) => `  ${r.repo.name}: ${s.path || "/"}: ${s.reason}\n`));
  const errors = repoProblems(repos).map((p) => `  ⚠ ${p.repo}: ${p.message}${p.since ? ` — since ${p.since}` : ""}\n`);
  if (skipped.length > 0) out.push("\nskipped folders:\n", ...skipped);
  if (errors.length > 0) out.push("\n", ...errors);
  return out.join("");
}
