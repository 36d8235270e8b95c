/** HTTP endpoints of the runtime: jobs, trigger, runs, logs, cancel, info, deploy, serve (docs/daemon.md). */
import type { IncomingMessage, ServerResponse } from "node:http";
import { SluiceError } from "../../core/index.js";
import { decodeUriPart, optionalString, readJsonBody, sendJson } from "./http-util.js";
import type { ClusterExec } from "./exec-types.js";
import { route, type Route } from "./router.js";
import type { JobScope, LogLineView, RuntimeServices } from "./runtime-types.js";

/** Headers the CLI sends with every request: `-w` and the workspace folder it runs in. */
export const SCOPE_HEADERS = { workspace: "x-sluice-workspace", defaultWorkspace: "x-sluice-default-workspace" } as const;

function scopeOf(req: IncomingMessage): JobScope {
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === "string" && value !== "" ? decodeUriPart(value, `header ${name}`) : undefined;
  };
  const workspace = header(SCOPE_HEADERS.workspace);
  const defaultWorkspace = header(SCOPE_HEADERS.defaultWorkspace);
  return { ...(workspace ? { workspace } : {}), ...(defaultWorkspace ? { defaultWorkspace } : {}) };
}

export function runtimeRoutes(runtime: RuntimeServices | undefined): Route[] {
  const need = (): RuntimeServices => {
    if (!runtime) throw new SluiceError("no_runtime", "This daemon runs without a scheduler: jobs and runs are not available.", { hint: "Start it with `sluice up`." });
    return runtime;
  };
  return [...jobRoutes(need), ...runRoutes(need), ...workspaceRoutes(need)];
}

/** The runtime's services, or the `no_runtime` error (503) of a daemon without a scheduler. */
type Need = () => RuntimeServices;

/** Jobs: list, the dashboard's view, one job, trigger. */
function jobRoutes(need: Need): Route[] {
  return [
    route("GET", "/v1/jobs", ({ req, res, url }) => sendJson(res, 200, { jobs: need().listJobs(url.searchParams.getAll("selector"), scopeOf(req)) })),
    route("GET", "/v1/dashboard/jobs", ({ res }) => sendJson(res, 200, { jobs: need().dashboardJobs() })),
    route("GET", "/v1/jobs/:name", ({ req, res, params }) => sendJson(res, 200, { job: need().jobInfo(params.name ?? "", scopeOf(req)) })),
    route("POST", "/v1/trigger", async ({ req, res }) => {
      const body = await readJsonBody(req);
      const input = {
        selectors: stringList(body.selectors, "selectors"),
        ...(body.only === undefined ? {} : { only: stringList(body.only, "only") }),
        refresh: body.refresh === true,
        dryRun: body.dryRun === true,
        profile: optionalString(body, "profile"),
      };
      sendJson(res, 200, need().trigger(input, scopeOf(req)));
    }),
  ];
}

/** Runs: list, latest, one run, its logs, cancel. */
function runRoutes(need: Need): Route[] {
  return [
    route("GET", "/v1/runs", ({ req, res, url }) => {
      const job = url.searchParams.get("job") ?? undefined;
      const selectors = url.searchParams.getAll("selector");
      sendJson(res, 200, { runs: need().runs({ ...(job ? { job } : {}), selectors, limit: limitOf(url) }, scopeOf(req)) });
    }),
    route("GET", "/v1/runs/latest", ({ req, res, url }) => {
      const job = url.searchParams.get("job") ?? undefined;
      const number = runNumberOf(url);
      sendJson(res, 200, { run: need().resolveRun({ ...(job ? { job } : {}), ...(number === undefined ? {} : { number }) }, scopeOf(req)) });
    }),
    route("GET", "/v1/runs/:id", ({ res, params }) => sendJson(res, 200, { run: need().run(params.id ?? "") })),
    route("POST", "/v1/runs/:id/cancel", ({ res, params }) => sendJson(res, 200, { run: need().cancelRun(params.id ?? "") })),
    route("GET", "/v1/runs/:id/logs", async ({ req, res, params, url }) => {
      const services = need();
      const runId = services.run(params.id ?? "").runId;
      const after = Number(url.searchParams.get("after") ?? "0");
      if (url.searchParams.get("follow") !== "1") return sendJson(res, 200, { lines: services.logs(runId, Number.isFinite(after) ? after : 0) });
      await streamLogs(services, runId, res, () => req.destroyed);
    }),
    route("POST", "/v1/cancel", async ({ req, res }) => {
      const body = await readJsonBody(req);
      sendJson(res, 200, { runs: need().cancel(stringList(body.selectors, "selectors"), body.dryRun === true, scopeOf(req)) });
    }),
  ];
}

/** The daemon and workspace folders: info, deploy a folder, exec in a workspace's environment, serve. */
function workspaceRoutes(need: Need): Route[] {
  const needExec = () => {
    const exec = need().exec;
    if (!exec) throw new SluiceError("no_exec", "This daemon does not offer `sluice exec`.", { hint: "Start it with `sluice up`." });
    return exec;
  };
  return [
    route("GET", "/v1/info", ({ res }) => sendJson(res, 200, need().info())),
    route("POST", "/v1/deploy", async ({ req, res }) => {
      const body = await readJsonBody(req);
      const dir = optionalString(body, "dir");
      if (!dir) throw new SluiceError("bad_request", "'dir' is required.");
      const workspace = optionalString(body, "workspace");
      const script = optionalString(body, "script");
      const result = await need().deployDir({ dir, ...(workspace ? { workspace } : {}), ...(script ? { script } : {}), dryRun: body.dryRun === true, showManifest: body.showManifest === true });
      sendJson(res, 200, result);
    }),
    route("POST", "/v1/exec", async ({ req, res }) => {
      const body = await readJsonBody(req);
      const workspace = optionalString(body, "workspace");
      if (!workspace) throw new SluiceError("bad_request", "'workspace' is required.");
      const [profile, job] = [optionalString(body, "profile"), optionalString(body, "job")];
      const request = { workspace, ...(profile ? { profile } : {}), ...(job ? { job } : {}) };
      const exec = needExec();
      // the CLI sends the command; a daemon whose runs live on Kubernetes claims runs it there and streams its output
      if (exec.runInCluster && body.argv !== undefined) return streamClusterExec(await exec.runInCluster(request, stringList(body.argv, "argv")), res);
      sendJson(res, 200, { exec: await exec.spec(request) });
    }),
    route("DELETE", "/v1/exec/:id", ({ res, params }) => {
      needExec().end(params.id ?? "");
      sendJson(res, 200, { ended: params.id });
    }),
    route("POST", "/v1/serve", async ({ req, res }) => {
      const job = optionalString(await readJsonBody(req), "job");
      if (!job) throw new SluiceError("bad_request", "'job' is required.");
      sendJson(res, 200, await need().serve(job, scopeOf(req)));
    }),
  ];
}

/** NDJSON: one `{"line": …}` per log line, then `{"end": true, "run": …}` when the run's log ends. */
async function streamLogs(services: RuntimeServices, runId: string, res: ServerResponse, gone: () => boolean): Promise<void> {
  res.writeHead(200, { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" });
  let lastSeq = 0;
  const send = (line: LogLineView) => {
    if (line.seq <= lastSeq) return;
    lastSeq = line.seq;
    res.write(`${JSON.stringify({ line })}\n`);
  };
  await new Promise<void>((resolve) => {
    const off = services.followLogs(runId, send, () => {
      for (const line of services.logs(runId, lastSeq)) send(line);
      res.end(`${JSON.stringify({ end: true, run: services.run(runId) })}\n`);
      resolve();
    });
    for (const line of services.logs(runId, 0)) send(line);
    res.on("close", () => {
      off();
      resolve();
    });
    if (gone()) {
      off();
      resolve();
    }
  });
}

const EXEC_HEARTBEAT_MS = 30_000;

/** NDJSON: `{"exec": …}`, one `{"line": {stream, text}}` per output line (`{"heartbeat": true}` every 30 s), then `{"end": {exitCode, status, reason}}`. */
async function streamClusterExec(exec: ClusterExec, res: ServerResponse): Promise<void> {
  res.writeHead(200, { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" });
  res.write(`${JSON.stringify({ exec: exec.view })}\n`);
  // a command silent for minutes must not look like a dead stream to the client (fetch's body timeout is 5 min)
  const heartbeat = setInterval(() => res.write(`${JSON.stringify({ heartbeat: true })}\n`), EXEC_HEARTBEAT_MS);
  try {
    const end = await exec.follow((line) => res.write(`${JSON.stringify({ line: { stream: line.stream, text: line.text } })}\n`));
    res.end(`${JSON.stringify({ end })}\n`);
  } finally {
    clearInterval(heartbeat);
  }
}

function stringList(value: unknown, key: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw new SluiceError("bad_request", `'${key}' must be a list of strings.`);
  return value as string[];
}

function runNumberOf(url: URL): number | undefined {
  const raw = url.searchParams.get("number");
  if (raw === null || raw === "") return undefined;
  const number = Number(raw);
  if (!Number.isInteger(number) || number < 1) throw new SluiceError("bad_request", `Run number must be a whole number from 1, not '${raw}'.`);
  return number;
}

function limitOf(url: URL): number {
  const limit = Number(url.searchParams.get("limit") ?? "50");
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new SluiceError("bad_request", "'limit' must be a whole number 1–1000.");
  return limit;
}
