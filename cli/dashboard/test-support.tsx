// @jsxRuntime automatic
// @jsxImportSource react
/** Shared by the dashboard's component tests: a populated in-memory daemon, the App on it, waits with deadlines. */
import { render } from "ink-testing-library";
import { App } from "./app.js";
import { InMemoryDashboardApi, makeJob, makeRun } from "./memory-api.js";
import { DashboardStore } from "./store.js";

export const NOW = Date.parse("2026-04-14T10:02:00Z");
export const KEYS = { enter: "\r", escape: "\u001B", up: "\u001B[A", down: "\u001B[B", backspace: "\u007F" };

/** Three workspaces' worth of jobs: a follow-up chain with a freshness edge, an interactive job, an archived one. */
export function sampleApi(): InMemoryDashboardApi {
  const api = new InMemoryDashboardApi();
  const ingest = makeJob("usgs", "ingest", { lastRun: makeRun("usgs/jobs.ingest", 7, "completed"), tags: ["nightly"], humanTriggers: ["every 5 minutes"], timezone: "Europe/Berlin" });
  const transform = makeJob("usgs", "transform", {
    lastRun: makeRun("usgs/jobs.transform", 3, "running", { trigger: "job.success:jobs.ingest" }),
    upstreams: [{ key: "usgs/jobs.ingest", kind: "success" }],
    humanTriggers: ["after ingest succeeds"],
    nextFire: null,
  });
  const report = makeJob("usgs", "report", { upstreams: [{ key: "usgs/jobs.transform", kind: "fresh" }], held: "freshness: transform is not fresh", humanTriggers: ["daily at 03:00"] });
  const notebook = makeJob("usgs", "notebook", { type: "interactive", displayName: "Quake notebook", humanTriggers: ["interactive service"], nextFire: null });
  const old = makeJob("usgs", "old_loader", { archived: true, nextFire: null });
  api.jobList = [ingest, transform, report, notebook, old];
  api.runsByJob.set("usgs/jobs.ingest", [
    makeRun("usgs/jobs.ingest", 7, "completed", { refresh: true }),
    makeRun("usgs/jobs.ingest", 6, "skipped", { reason: "held: upstream not fresh", startedAt: null, finishedAt: null }),
  ]);
  api.infoView.workspaces = [
    { name: "usgs", source: "repo", status: "idle", message: null, version: 4, commit: "abc1234def", deployedAt: "2026-04-14T09:00:00.000Z", jobs: 4, latestDeployment: { status: "failed", version: null, commit: "ffff000", at: "2026-04-14T09:30:00.000Z", cause: { code: "manifest_generation_failed", message: "ModuleNotFoundError: no module named foo" } } },
  ];
  api.deploymentsByWorkspace.set("usgs", [
    deployment(4, "abc1234def", "Ada Lovelace", { added: 1, updated: 2 }),
    deployment(3, "0123456789", "Grace Hopper", { added: 3, updated: 0 }),
  ]);
  api.selections.set("tag:nightly", ["usgs/jobs.ingest"]);
  api.logLines.set("run_usgs_jobs_ingest_7", [{ seq: 1, time: "2026-04-14T10:00:02.000Z", stream: "stdout", text: "ingest finished: 42 rows" }]);
  api.finishedRuns.add("run_usgs_jobs_ingest_7");
  api.logLines.set(transform.lastRun!.runId, [1, 2, 3].map((n) => ({ seq: n, time: "2026-04-14T10:00:0" + n + ".000Z", stream: "stdout", text: `loading chunk ${n}` })));
  return api;
}

function deployment(version: number, sha: string, author: string, counts: { added: number; updated: number }) {
  const changes = (n: number) => Array.from({ length: n }, (_, i) => ({ jobRef: `jobs.j${i}` })) as never[];
  return {
    id: version,
    workspace: "usgs",
    status: "applied" as const,
    kind: "push" as const,
    version,
    versionHash: null,
    previousHashes: [],
    commit: { sha, authorName: author },
    manifest: null,
    jobHashes: {},
    diff: { added: changes(counts.added), updated: changes(counts.updated), unchanged: [], archived: [] },
    warnings: [],
    dltVersion: null,
    checkoutDir: null,
    cause: null,
    rollbackToVersion: null,
    startedAt: "2026-04-14T09:00:00.000Z",
    finishedAt: "2026-04-14T09:00:05.000Z",
  };
}

export async function until(check: () => boolean, what: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what()}`);
    await new Promise((done) => setTimeout(done, 10));
  }
}

export async function mount(options: { api?: InMemoryDashboardApi; columns?: number; rows?: number; color?: boolean; onQuit?: () => void } = {}) {
  const api = options.api ?? sampleApi();
  const store = new DashboardStore(api, { batchMs: 5, backoffMs: [20] });
  store.start();
  const ui = render(<App store={store} color={options.color ?? false} size={{ columns: options.columns ?? 80, rows: options.rows ?? 24 }} now={() => NOW} {...(options.onQuit ? { onQuit: options.onQuit } : {})} />);
  const frame = () => ui.lastFrame() ?? "";
  const waitFor = async (text: string | RegExp, timeoutMs?: number) => {
    await until(() => (typeof text === "string" ? frame().includes(text) : text.test(frame())), () => `${String(text)} on screen; screen is:\n${frame()}`, timeoutMs);
  };
  /** Sends keys one at a time (each is one keypress for Ink), letting React settle in between. */
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      ui.stdin.write(key);
      await new Promise((done) => setTimeout(done, 25));
    }
  };
  const type = (text: string) => press(...text.split(""));
  await waitFor("ingest");
  return { api, store, ui, frame, waitFor, press, type, close: () => (ui.unmount(), store.stop()) };
}
