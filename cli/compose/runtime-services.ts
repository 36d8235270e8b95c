/** The runtime half of the API over the scheduler, the log store and the deployment history. */
import { SluiceError } from "../../core/index.js";
import type { SchedulerDeploymentTarget } from "../../reconciler/apply/index.js";
import type { DeploymentHistory, RepoStore } from "../../reconciler/history/index.js";
import type { LogLine, LogStore } from "../../runner/logs/index.js";
import type { RunRecord, Scheduler } from "../../runner/scheduler/index.js";
import { triggerPicked } from "../../runner/scheduler/index.js";
import { describeTrigger, splitJobKey } from "../../schemas/index.js";
import type { DashboardJobView, DeployDirInput, DeployDirView, InfoView, JobInfoView, JobScope, LogLineView, RunView, RuntimeServices, TriggerInput, TriggerView, WorkspaceInfo } from "../daemon/runtime-types.js";
import { findJob, selectActive } from "./job-lookup.js";
import { dashboardJobView, jobView, runView } from "./views.js";

export interface RuntimeServicesDeps {
  scheduler: Scheduler;
  target: SchedulerDeploymentTarget;
  logStore: LogStore;
  history: DeploymentHistory;
  repos: RepoStore;
  deployDir(input: DeployDirInput): Promise<DeployDirView>;
  serve(job: string, scope?: JobScope): Promise<{ url: string; jobRef: string; workspace: string; runId?: string; number?: number }>;
  daemonInfo(): InfoView["daemon"];
  /** Where a run ran (run-placements.ts); null when unknown. */
  whereOf?: (runId: string) => string | null;
}

const TERMINAL = new Set(["completed", "failed", "cancelled", "skipped"]);

/** What the service groups share: the stores, and the run and log views. */
interface ServiceContext {
  deps: RuntimeServicesDeps;
  scheduler: Scheduler;
  wsOf(jobRef: string): string | null;
  whereOf(runId: string): string | null;
  view(run: RunRecord): RunView;
  lineView(line: LogLine): LogLineView;
  getRun(runId: string): RunRecord;
}

export function createRuntimeServices(deps: RuntimeServicesDeps): RuntimeServices {
  const { scheduler, target } = deps;
  const wsOf = (jobRef: string) => target.workspaceOfJob(jobRef)?.workspace ?? null;
  const whereOf = deps.whereOf ?? (() => null);
  const c: ServiceContext = {
    deps,
    scheduler,
    wsOf,
    whereOf,
    view: (run) => runView(run, wsOf(run.jobRef), whereOf(run.runId)),
    lineView: (line) => ({ seq: line.seq, time: new Date(line.timeMs).toISOString(), stream: line.stream, text: line.text }),
    getRun: (runId) => {
      const run = scheduler.store.getRun(runId);
      if (!run) throw new SluiceError("run_not_found", `No run '${runId}'.`, { hint: "`sluice runs` lists the runs." });
      return run;
    },
  };
  return {
    ...jobServices(c),
    ...triggerServices(c),
    ...runServices(c),
    ...logServices(c),
    info: () => infoOf(c),
    deployDir: (input) => deps.deployDir(input),
    serve: (job, scope) => deps.serve(job, scope),
  };
}

function jobServices({ scheduler, wsOf, whereOf, view }: ServiceContext): Pick<RuntimeServices, "listJobs" | "dashboardJobs" | "jobInfo"> {
  return {
    listJobs(selectors, scope = {}) {
      return selectActive(scheduler, selectors, scope).selected.map(({ job }) => jobView(job, scheduler, wsOf(job.jobRef), whereOf));
    },

    dashboardJobs(): DashboardJobView[] {
      const held = new Map<string, string>();
      // the freshness column: a job is held when its freshness gate holds a run back; waiting for
      // the next tick (window) or behind a running one (concurrency) is not being held
      for (const w of scheduler.waiting()) if (w.kind === "freshness" && !held.has(w.jobRef)) held.set(w.jobRef, `${w.kind}: ${w.reason}`);
      const active = [...scheduler.jobs.values()];
      const archived = [...scheduler.known.values()].filter((job) => !scheduler.jobs.has(job.jobRef));
      const row = (job: (typeof active)[number], isArchived: boolean) =>
        dashboardJobView(job, scheduler, { workspace: wsOf(job.jobRef), held: held.get(job.jobRef) ?? null, archived: isArchived, whereOf });
      return [...active.map((job) => row(job, false)), ...archived.map((job) => row(job, true))];
    },

    jobInfo(name, scope = {}): JobInfoView {
      const job = findJob(scheduler, name, scope);
      const definition = job.definition as { description?: string };
      return {
        ...jobView(job, scheduler, wsOf(job.jobRef), whereOf),
        description: definition.description ?? null,
        timezone: job.timezone,
        humanTriggers: job.expandedTriggers.map((trigger) => ({ trigger, text: describeTrigger(trigger, job.timezone) })),
        nextFires: scheduler.preview(job.jobRef, 5).map((p) => ({ utc: p.utc, local: p.local, trigger: p.trigger })),
        waiting: scheduler
          .waiting()
          .filter((w) => w.jobRef === job.jobRef)
          .map((w) => ({ kind: w.kind, reason: w.reason, since: new Date(w.sinceMs).toISOString() })),
        runs: scheduler.store.runsOfJob(job.jobRef, 10).map(view),
      };
    },
  };
}

function triggerServices({ scheduler, view, getRun }: ServiceContext): Pick<RuntimeServices, "trigger" | "cancelRun" | "cancel"> {
  return {
    trigger(input: TriggerInput, scope = {}): TriggerView {
      if (input.selectors.length === 0) throw new SluiceError("bad_request", "Name at least one job or selector.", { hint: "e.g. `sluice trigger tag:backfill`." });
      const selection = selectActive(scheduler, input.selectors, scope);
      if (input.only) {
        const only = new Set(input.only);
        selection.selected = selection.selected.filter((s) => only.has(s.job.jobRef));
        selection.followUps = [];
      }
      const base = {
        selected: selection.selected.map((s) => ({ jobRef: s.job.ref, key: s.job.jobRef, workspace: s.job.workspace, trigger: s.trigger })),
        followUps: selection.followUps.map((j) => j.jobRef),
      };
      if (input.dryRun) return { dryRun: true, ...base, runs: [], warnings: [], cleared: [] };
      const picked = selection.selected.flatMap(({ job, trigger }) => (trigger ? [{ job, trigger }] : []));
      const result = triggerPicked(scheduler, picked, { refresh: input.refresh === true, ...(input.profile ? { profile: input.profile } : {}) });
      return { dryRun: false, ...base, runs: result.runs.map(view), warnings: result.warnings, cleared: result.cleared };
    },

    cancelRun(runId) {
      const run = getRun(runId);
      return view(TERMINAL.has(run.status) ? run : (scheduler.cancel(run.runId) ?? run));
    },

    cancel(selectors, dryRun, scope = {}) {
      if (selectors.length === 0) throw new SluiceError("bad_request", "Name at least one job or selector to cancel.");
      const refs = new Set(selectActive(scheduler, selectors, scope).selected.map((s) => s.job.jobRef));
      const open = scheduler.store.openRuns().filter((run) => refs.has(run.jobRef));
      if (dryRun) return open.map(view);
      return open.map((run) => view(scheduler.cancel(run.runId) ?? run));
    },
  };
}

function runServices({ scheduler, view, getRun }: ServiceContext): Pick<RuntimeServices, "runs" | "run" | "resolveRun"> {
  return {
    runs({ job, selectors, limit }, scope = {}) {
      if (job) return scheduler.store.runsOfJob(findJob(scheduler, job, { archived: true, ...scope }).jobRef, limit).map(view);
      if (selectors && selectors.length > 0) {
        const keys = new Set(selectActive(scheduler, selectors, scope).selected.map((s) => s.job.jobRef));
        return scheduler.store.allRuns().filter((r) => keys.has(r.jobRef)).slice(-limit).reverse().map(view);
      }
      const all = scheduler.store.allRuns().filter((r) => !scope.workspace || splitJobKey(r.jobRef).workspace === scope.workspace);
      return all.slice(-limit).reverse().map(view);
    },

    run: (runId) => view(getRun(runId)),

    resolveRun({ job, runId, number }, scope = {}): RunView {
      if (runId) return view(getRun(runId));
      if (!job) throw new SluiceError("bad_request", "Name a job or a run id.");
      const found = findJob(scheduler, job, { archived: true, ...scope });
      if (number !== undefined) {
        const run = scheduler.store.runOfJob(found.jobRef, number);
        if (!run) throw new SluiceError("run_not_found", `Job '${found.jobRef}' has no run ${number}.`, { hint: `\`sluice job-run ${job} list\` lists its runs.` });
        return view(run);
      }
      const run = scheduler.store.runsOfJob(found.jobRef, 100).find((r) => r.status !== "skipped" && r.status !== "pending");
      if (!run) throw new SluiceError("run_not_found", `Job '${job}' has not run yet.`, { hint: found.jobType === "interactive" ? `Start it with \`sluice serve ${job}\`.` : `Start it with \`sluice launch ${job}\`.` });
      return view(run);
    },
  };
}

function logServices({ deps, lineView, getRun }: ServiceContext): Pick<RuntimeServices, "logs" | "followLogs"> {
  const { logStore } = deps;
  return {
    logs: (runId, afterSeq) => logStore.read(getRun(runId).runId, { afterSeq }).lines.map(lineView),

    followLogs(runId, onLine, onEnd) {
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        off();
        onEnd();
      };
      const off = logStore.subscribe(runId, { onLine: (line) => onLine(lineView(line)), onEnd: end });
      if (TERMINAL.has(getRun(runId).status)) setTimeout(end, 200);
      return () => {
        ended = true;
        off();
      };
    },
  };
}

function infoOf({ deps, scheduler, view }: ServiceContext): InfoView {
  const { repos, history, target } = deps;
  const names = new Set([...repos.workspaces().map((w) => w.workspace), ...history.listStates().map((s) => s.workspace)]);
  const workspaces: WorkspaceInfo[] = [...names].sort().map((name) => {
    const repo = repos.feedOf(name);
    const folder = repos.workspace(name)?.path;
    const state = history.getState(name);
    const active = history.active(name);
    const latest = history.list(name, { limit: 1 })[0];
    return {
      name,
      source: repo ? `${repo.kind === "hosted" ? `hosted (${repo.url})` : repo.url}${folder ? `, folder ${folder}` : ""}` : "local directory (sluice deploy)",
      status: state?.status ?? "idle",
      message: state?.message ?? null,
      version: active?.version ?? null,
      commit: active?.commit.sha ?? null,
      deployedAt: active?.finishedAt ?? null,
      jobs: target.get(name)?.jobs.length ?? 0,
      latestDeployment: latest ? { status: latest.status, version: latest.version, commit: latest.commit.sha, at: latest.finishedAt, cause: latest.cause } : null,
    };
  });
  return { daemon: deps.daemonInfo(), workspaces, latestRuns: scheduler.store.allRuns().slice(-10).reverse().map(view) };
}
