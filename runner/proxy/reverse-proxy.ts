/**
 * The daemon's single HTTP entry point for interactive jobs: `/w/<workspace>/<job>/…` is
 * forwarded to the job's service on 127.0.0.1 (plain HTTP and websocket upgrades). The service
 * is found — or started — by a `ServiceRouter`; every request and open connection counts as
 * activity for the idle timeout.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createSseEndpointRewrite, isEventStream } from "./sse-endpoint-rewrite.js";

export interface ServiceTarget {
  port: number;
  /** Forward the path without the `/w/<workspace>/<job>` prefix (for launchers that ignore base_path). */
  stripPrefix: boolean;
}

export interface ServiceRouter {
  /** The running service for a job, starting it when needed; undefined when no such interactive job. */
  resolve(workspace: string, job: string): Promise<ServiceTarget | undefined>;
  /** A request arrived or a connection opened (`delta` +1) / closed (-1). */
  activity(workspace: string, job: string, delta: 0 | 1 | -1): void;
}

export interface ProxyRoute {
  workspace: string;
  job: string;
  prefix: string;
  rest: string;
}

const ROUTE = /^\/w\/([A-Za-z0-9._-]+)\/([A-Za-z0-9._-]+)(\/.*)?$/;

export function parseProxyPath(url: string): ProxyRoute | undefined {
  const [path = "", query] = splitOnce(url, "?");
  const match = ROUTE.exec(path);
  if (!match || !match[1] || !match[2]) return undefined;
  const prefix = `/w/${match[1]}/${match[2]}`;
  return { workspace: match[1], job: match[2], prefix, rest: `${match[3] ?? "/"}${query !== undefined ? `?${query}` : ""}` };
}

/** Base path handed to the launcher (`run_args.base_path`) for a job served under the proxy. */
export function proxyBasePath(workspace: string, job: string): string {
  return `/w/${workspace}/${job}`;
}

export interface ReverseProxy {
  server: Server;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

export function createReverseProxy(router: ServiceRouter): ReverseProxy {
  const server = createServer((req, res) => void proxyRequest(router, req, res));
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => void proxyUpgrade(router, req, socket, head));
  return {
    server,
    listen(port, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          const address = server.address();
          resolve(typeof address === "object" && address ? address.port : port);
        });
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const upstreamPath = (route: ProxyRoute, target: ServiceTarget, url: string) => (target.stripPrefix ? route.rest : url);

/** One HTTP request to `/w/<workspace>/<job>/…`: its service found or started, then the request forwarded. */
async function proxyRequest(router: ServiceRouter, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = parseProxyPath(req.url ?? "/");
  if (!route) return fail(res, 404, "not an interactive job path; use /w/<workspace>/<job>/");
  if (req.url === route.prefix) {
    res.writeHead(308, { location: `${route.prefix}/` }).end();
    return;
  }
  let target: ServiceTarget | undefined;
  try {
    target = await router.resolve(route.workspace, route.job);
  } catch (error) {
    return fail(res, 503, `the service of ${route.workspace}/${route.job} could not be started: ${String(error instanceof Error ? error.message : error)}`);
  }
  if (!target) return fail(res, 404, `no interactive job ${route.job} in workspace ${route.workspace}`);
  router.activity(route.workspace, route.job, 1);
  let closed = false;
  res.on("close", () => {
    if (closed) return;
    closed = true;
    router.activity(route.workspace, route.job, -1);
  });
  forwardRequest(req, res, route, target);
}

/** Sends the request to the service on loopback and its answer back (an event stream's endpoints rewritten under the prefix). */
function forwardRequest(req: IncomingMessage, res: ServerResponse, route: ProxyRoute, target: ServiceTarget): void {
  const upstream = httpRequest(
    { host: "127.0.0.1", port: target.port, method: req.method, path: upstreamPath(route, target, req.url ?? "/"), headers: forwardedHeaders(req) },
    (answer) => {
      if (target.stripPrefix && isEventStream(answer.headers["content-type"])) {
        const headers = { ...answer.headers };
        delete headers["content-length"];
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(createSseEndpointRewrite(route.prefix)).pipe(res);
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", (error) => {
    if (!res.headersSent) fail(res, 502, `upstream error: ${error.message}`);
    else res.destroy();
  });
  req.pipe(upstream);
}

/** A websocket upgrade: a tunnel to the service, counted as one open connection until either side ends it. */
async function proxyUpgrade(router: ServiceRouter, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const route = parseProxyPath(req.url ?? "/");
  const target = route ? await router.resolve(route.workspace, route.job).catch(() => undefined) : undefined;
  if (!route || !target) {
    socket.end("HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n");
    return;
  }
  router.activity(route.workspace, route.job, 1);
  let closed = false;
  const upstream: Socket = connect({ host: "127.0.0.1", port: target.port }, () => {
    const lines = [`${req.method ?? "GET"} ${upstreamPath(route, target, req.url ?? "/")} HTTP/${req.httpVersion}`];
    const headers = forwardedHeaders(req);
    for (const [key, value] of Object.entries(headers)) {
      for (const item of Array.isArray(value) ? value : [value]) if (item !== undefined) lines.push(`${key}: ${item}`);
    }
    upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  const done = () => {
    if (closed) return;
    closed = true;
    router.activity(route.workspace, route.job, -1);
    upstream.destroy();
    socket.destroy();
  };
  // http server sockets allow half-open connections: a FIN from either side ends the tunnel.
  for (const event of ["error", "end", "close"]) {
    upstream.on(event, done);
    socket.on(event, done);
  }
}

function forwardedHeaders(req: IncomingMessage): Record<string, string | string[] | undefined> {
  const headers: Record<string, string | string[] | undefined> = { ...req.headers };
  headers["x-forwarded-for"] = req.socket.remoteAddress ?? "127.0.0.1";
  headers["x-forwarded-host"] = req.headers.host;
  headers["x-forwarded-proto"] = "http";
  return headers;
}

function fail(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(`${message}\n`);
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const index = text.indexOf(separator);
  return index < 0 ? [text, undefined] : [text.slice(0, index), text.slice(index + 1)];
}
