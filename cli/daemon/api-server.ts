import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock, Logger } from "../../core/index.js";
import { SluiceError, silentLogger } from "../../core/index.js";
import { isLoopback } from "./config.js";
import type { DaemonEventSource } from "./event-hub.js";
import { optionalString, readJsonBody, sendError, sendJson, sendThrown } from "./http-util.js";
import { createRouter, route, type Route, type Router } from "./router.js";
import { runtimeRoutes } from "./runtime-routes.js";
import type { RuntimeServices } from "./runtime-types.js";
import type { DaemonServices } from "./services.js";
import { openEventStream } from "./sse.js";
import { tokenMatches } from "./token.js";

export interface ApiServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  token: string;
  /** Shown in the 401 hint so a user knows where the token lives. */
  tokenFile: string;
  services: DaemonServices;
  /** Jobs, runs, logs and local deploys; absent when no scheduler is wired (those endpoints answer 503). */
  runtime?: RuntimeServices;
  events: DaemonEventSource;
  clock: Clock;
  heartbeatMs?: number;
  logger?: Logger;
}

export interface ApiServer {
  url: string;
  port: number;
  /** Every route the server answers (method and path), for tests that must cover them all. */
  routes: Router["routes"];
  close(): Promise<void>;
}

/** The daemon's HTTP API: loopback only, a bearer token on every request, JSON in and out. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  if (!isLoopback(options.host)) {
    throw new SluiceError("api_host_not_loopback", `The API must listen on a loopback address, not '${options.host}'.`, {
      hint: "Use 127.0.0.1 (the default) in sluice.yaml `api.host`.",
    });
  }
  const logger = (options.logger ?? silentLogger).child("api");
  const streams = new Set<() => void>();
  const router = createRouter([eventsRoute(options, streams), ...buildRoutes(options), ...runtimeRoutes(options.runtime)]);

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendThrown(res, error);
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
    if (!tokenMatches(presented, options.token)) {
      logger.warn("request refused without a valid token", { method: req.method, path: url.pathname });
      res.setHeader("www-authenticate", 'Bearer realm="sluice"');
      sendError(res, 401, "unauthorized", "Missing or wrong API token.", `Send 'Authorization: Bearer <token>' with the token from ${options.tokenFile}.`);
      return;
    }
    await router.dispatch(req, res, url);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new SluiceError("api_port_in_use", `Port ${options.port} on ${options.host} is already in use.`, {
              hint: "Another `sluice up` may be running; stop it or set `api.port` in sluice.yaml.",
            })
          : error,
      ),
    );
    server.listen(options.port, options.host, () => {
      server.removeAllListeners("error");
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = options.host.includes(":") ? `[${options.host}]` : options.host;
  logger.info("api listening", { host: options.host, port });
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    routes: router.routes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const close of streams) close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `GET /v1/events`: the server-sent event stream (sse.ts); `streams` holds what closes each open one. */
function eventsRoute(options: ApiServerOptions, streams: Set<() => void>): Route {
  return route("GET", "/v1/events", ({ req, res, url }) => {
    const close = openEventStream(req, res, {
      events: options.events,
      clock: options.clock,
      heartbeatMs: options.heartbeatMs ?? 15_000,
      workspace: url.searchParams.get("workspace") ?? undefined,
    });
    streams.add(close);
    res.on("close", () => streams.delete(close));
  });
}

function buildRoutes(options: ApiServerOptions): Route[] {
  const { services } = options;
  return [
    route("GET", "/v1/health", ({ res }) => sendJson(res, 200, { ok: true })),
    route("GET", "/v1/repos", ({ res }) => sendJson(res, 200, { repos: services.listRepos() })),
    route("POST", "/v1/repos", async ({ req, res }) => {
      const body = await readJsonBody(req);
      const name = optionalString(body, "name");
      if (!name) throw new SluiceError("bad_request", "'name' is required.");
      const push = body.push === undefined ? undefined : body.push === true;
      const result = await services.addRepo({
        name,
        url: optionalString(body, "url"),
        push,
        branch: optionalString(body, "branch"),
        path: optionalString(body, "path"),
        github: optionalString(body, "github"),
      });
      sendJson(res, 201, result);
    }),
    route("GET", "/v1/repos/:name", ({ res, params }) => sendJson(res, 200, services.repoStatus(params.name ?? ""))),
    route("DELETE", "/v1/repos/:name", async ({ res, params }) => sendJson(res, 200, await services.removeRepo(params.name ?? ""))),
    route("POST", "/v1/hooks/push", async ({ res }) => {
      await services.poke();
      sendJson(res, 202, { polled: true });
    }),
    route("GET", "/v1/workspaces/:name/deployments", ({ res, params, url }) => {
      const limit = Number(url.searchParams.get("limit") ?? "50");
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new SluiceError("bad_request", "'limit' must be a whole number 1–1000.");
      sendJson(res, 200, { deployments: services.deployments(params.name ?? "", limit) });
    }),
    route("POST", "/v1/workspaces/:name/rollback", async ({ req, res, params }) => {
      const body = await readJsonBody(req);
      const to = body.to;
      if (to !== undefined && (typeof to !== "number" || !Number.isInteger(to) || to < 0)) {
        throw new SluiceError("bad_request", "'to' must be a version number (a whole number ≥ 0).");
      }
      sendJson(res, 200, { deployment: await services.rollback(params.name ?? "", to) });
    }),
  ];
}
